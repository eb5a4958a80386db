/** Roster groups as the user types them: comma-separated names, trimmed, without empty or repeated ones. */
export function parseGroups(text: string): string[] {
  const seen = new Set<string>();
  for (const part of text.split(',')) {
    const name = part.trim().slice(0, 256);
    if (name) seen.add(name);
    if (seen.size === 50) break;
  }
  return [...seen];
}

export function formatGroups(groups: readonly string[]): string {
  return groups.join(', ');
}
