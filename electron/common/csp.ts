/**
 * The renderer's Content-Security-Policy, shared by the Electron protocol
 * handler and the loopback server so both transports run the same page
 * under the same rules: only our own scripts, no eval, no plugins, images
 * only from ourselves (tiles, blobs we made), network only back to the API.
 */
export function contentSecurityPolicy(options: { connect?: string[]; img?: string[] } = {}): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    // The one inline style allowed is empty (sha256 of ""): see renderer/index.html.
    "style-src 'self' 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
    `img-src 'self' blob: data: ${(options.img ?? []).join(' ')}`.trim(),
    `connect-src 'self' ${(options.connect ?? []).join(' ')}`.trim(),
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
