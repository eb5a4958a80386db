/**
 * Shared files in a bubble. Plain (XEP-0066) links: a link with name and size, and for a picture or a short video
 * under INLINE_LIMIT the media itself, fetched through Parley (/media). Encrypted (XEP-0454 aesgcm://): fetched,
 * decrypted in the tab, then shown the same way from an object URL, or offered as a download; a file that does not
 * decrypt says so and shows nothing of it. Pictures are shown as thumbnails drawn here, and only after their header
 * said they are within MAX_IMAGE_PIXELS (a decompression bomb is never decoded). Object URLs are revoked on unmount.
 * Names are text, never markup.
 */
import { useEffect, useState } from 'preact/hooks';
import { cachedLoad, fetchEncrypted, fetchShared, looksLikeImage, MediaError, videoTypeOf } from '../../files/media.js';
import { HEADER_BYTES, imageRefusal, readImageHeader, thumbnailSize } from '../../files/image-header.js';
import { formatBytes, formatNumber } from '../../i18n/format.js';
import { t } from '../../i18n/index.js';

/** Plain files larger than this are only linked, never fetched for display. */
export const INLINE_LIMIT = 10 * 1024 * 1024;
const THUMB_BOX = 320;

type Shown =
  | { status: 'loading' }
  | { status: 'failed'; text: string }
  | { status: 'ready'; kind: 'image'; full: string; thumb: string; width: number; height: number; size: number }
  | { status: 'ready'; kind: 'video'; full: string; size: number }
  | { status: 'ready'; kind: 'file'; full: string; size: number }
  | { status: 'ready'; kind: 'refused'; full: string; size: number; text: string };

/** What to show of decrypted (or fetched) bytes; every object URL made is listed in `urls` for revoking. */
async function present(bytes: Uint8Array, name: string, declared: string | null, urls: string[]): Promise<Shown> {
  const header = readImageHeader(bytes.subarray(0, HEADER_BYTES));
  const video = header ? null : videoTypeOf(name, declared);
  const blob = new Blob([bytes as BlobPart], { type: header?.type ?? video ?? 'application/octet-stream' });
  const full = URL.createObjectURL(blob);
  urls.push(full);
  if (video) return { status: 'ready', kind: 'video', full, size: bytes.byteLength };
  if (!header) return { status: 'ready', kind: 'file', full, size: bytes.byteLength };
  if (imageRefusal(header)) {
    return { status: 'ready', kind: 'refused', full, size: bytes.byteLength, text: t('files.imageTooLarge', { width: formatNumber(header.width), height: formatNumber(header.height) }) };
  }
  const size = thumbnailSize(header.width, header.height, THUMB_BOX);
  try {
    const bitmap = await createImageBitmap(blob, { resizeWidth: size.width, resizeHeight: size.height, resizeQuality: 'medium' });
    const canvas = document.createElement('canvas');
    canvas.width = size.width;
    canvas.height = size.height;
    canvas.getContext('2d')!.drawImage(bitmap, 0, 0);
    bitmap.close();
    const png = await new Promise<Blob | null>((r) => canvas.toBlob(r, 'image/png'));
    if (!png) throw new Error('no thumbnail');
    const thumb = URL.createObjectURL(png);
    urls.push(thumb);
    return { status: 'ready', kind: 'image', full, thumb, width: size.width, height: size.height, size: bytes.byteLength };
  } catch {
    // Said it was a picture but does not decode: offered as a file.
    return { status: 'ready', kind: 'file', full, size: bytes.byteLength };
  }
}

function useShown(load: ((signal: AbortSignal, urls: string[]) => Promise<Shown>) | null, key: string): Shown | null {
  const [shown, setShown] = useState<Shown | null>(load ? { status: 'loading' } : null);
  useEffect(() => {
    if (!load) return;
    const abort = new AbortController();
    const urls: string[] = [];
    setShown({ status: 'loading' });
    load(abort.signal, urls).then(
      (s) => !abort.signal.aborted && setShown(s),
      (err: unknown) => {
        if (abort.signal.aborted) return;
        const kind = err instanceof MediaError ? err.kind : 'undecryptable';
        setShown({ status: 'failed', text: kind === 'too-large' ? t('files.tooLarge') : kind === 'unavailable' ? t('files.unavailable') : t('files.undecryptable') });
      },
    );
    return () => {
      abort.abort();
      for (const u of urls) URL.revokeObjectURL(u);
    };
  }, [key]);
  return shown;
}

function Media({ shown, name }: { shown: Extract<Shown, { status: 'ready' }>; name: string }) {
  if (shown.kind === 'image') {
    return (
      <a class="message-media-link" href={shown.full} download={name} title={name}>
        <img class="message-image" data-testid="message-image" src={shown.thumb} width={shown.width} height={shown.height} alt={t('files.imageAlt', { name })} />
      </a>
    );
  }
  if (shown.kind === 'video') return <video class="message-video" data-testid="message-video" src={shown.full} controls preload="metadata" aria-label={name} />;
  if (shown.kind === 'refused') return <p class="message-file-note" data-testid="message-file-refused">{shown.text}</p>;
  return null;
}

/** A file's name, linked, and its size. */
function FileLink({ href, name, size, download }: { href: string; name: string; size: number | undefined; download: boolean }) {
  return (
    <p class="message-file">
      <a
        class="message-attachment"
        data-testid="message-attachment"
        href={href}
        {...(download ? { download: name } : { target: '_blank', rel: 'noopener noreferrer nofollow' })}
        title={name}
        dir="auto"
      >
        {name}
      </a>
      {size !== undefined ? <span class="message-attachment-size">{` ${formatBytes(size)}`}</span> : null}
    </p>
  );
}

/** A plain shared file (XEP-0066): `href` is an http(s) URL already checked by the caller. */
export function Attachment({ href, name, size, type }: { href: string; name: string; size: number | undefined; type?: string }) {
  const inline = (looksLikeImage(name, type) || videoTypeOf(name, type) !== null) && (size === undefined || size <= INLINE_LIMIT);
  const shown = useShown(
    inline ? async (_signal, urls) => {
      const fetched = await cachedLoad(`plain:${href}`, () => fetchShared(href, INLINE_LIMIT));
      return present(fetched.bytes, name, fetched.type ?? type ?? null, urls);
    } : null,
    href,
  );
  return (
    <div class="message-attachment-box" data-testid="message-file" data-file-status={shown?.status ?? 'link'}>
      {shown?.status === 'ready' ? <Media shown={shown} name={name} /> : null}
      <FileLink href={href} name={name} size={size} download={false} />
    </div>
  );
}

/** An OMEMO message whose text is one aesgcm:// link: the file, decrypted here, or why it cannot be. */
export function EncryptedAttachment({ link }: { link: string }) {
  const [name, setName] = useState('');
  const shown = useShown(async (_signal, urls) => {
    const file = await cachedLoad(`aesgcm:${link}`, () => fetchEncrypted(link));
    setName(file.name);
    return present(file.bytes, file.name, null, urls);
  }, link);
  if (!shown || shown.status === 'loading') {
    return <p class="message-body message-encrypted" data-testid="message-file" data-file-status="loading">{t('files.decrypting')}</p>;
  }
  if (shown.status === 'failed') {
    return <p class="message-body message-encrypted message-file-error" data-testid="message-file" data-file-status="failed" role="note">{shown.text}</p>;
  }
  return (
    <div class="message-attachment-box" data-testid="message-file" data-file-status="ready" data-file-kind={shown.kind}>
      <Media shown={shown} name={name} />
      <FileLink href={shown.full} name={name} size={shown.size} download={true} />
    </div>
  );
}

/** True for a text that is meant as one aesgcm:// link (a broken one included: it is shown as an undecryptable file). */
export function isFileLinkText(text: string): boolean {
  return /^aesgcm:\/\/\S+$/i.test(text.trim());
}
