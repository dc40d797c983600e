/**
 * Paths on the engine's machine, handled in the page: the engine may run on
 * Windows while the page runs anywhere, so the separator comes from the path.
 */
export function separatorOf(path: string): '/' | '\\' {
  return path.includes('\\') && !path.includes('/') ? '\\' : '/';
}

export function joinPath(dir: string, name: string): string {
  const sep = separatorOf(dir);
  return dir.endsWith(sep) ? `${dir}${name}` : `${dir}${sep}${name}`;
}

export function dirName(path: string): string {
  const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return cut <= 0 ? path.slice(0, cut + 1) || path : path.slice(0, cut);
}

export function fileName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

/** `group.jpg` + `faces.json` → `group.faces.json`: the original's name with what was made of it. */
export function derivedName(original: string, suffix: string): string {
  const name = fileName(original);
  const stem = name.includes('.') ? name.slice(0, name.lastIndexOf('.')) : name;
  return `${stem}.${suffix}`;
}
