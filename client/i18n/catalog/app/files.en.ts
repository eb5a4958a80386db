/** English texts of files: uploads in progress, shared and encrypted files in bubbles (spread into app.en.ts). */
export const filesEn = {
  'files.uploads': 'Files being sent',
  'files.queued': 'Waiting…',
  'files.encrypting': 'Encrypting…',
  'files.sendingLink': 'Sending…',
  'files.progress': '{sent} of {total}',
  'files.progressOf': 'Sending {name}',
  'files.cancel': 'Cancel',
  'files.notSent': 'Not sent: {name}: {error}',
  'files.noDevices': '{jid} has no OMEMO devices, so the file cannot be encrypted for them. Turn encryption off to send it in clear.',
  'files.decrypting': 'Decrypting a file…',
  'files.undecryptable': 'Could not decrypt this file.',
  'files.unavailable': 'Could not download this file.',
  'files.tooLarge': 'Could not decrypt this file: it is larger than this Parley server fetches.',
  'files.imageTooLarge': 'This picture is too large to show ({width} × {height} pixels).',
  'files.imageAlt': 'Picture: {name}',
} as const;
