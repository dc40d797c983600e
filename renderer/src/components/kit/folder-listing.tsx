import { useCallback, useRef, useState } from 'react';
import type { DirectoryListing } from '../../../../electron/common/contract';
import { toErrorInfo, type ErrorInfo } from '../../../../electron/common/errors';
import { api } from '../../api/client';
import { Icon } from '../Icon';

/**
 * A folder of the engine's machine, listed for the Open and Export dialogs.
 * Only the latest listing may land (a slow first listing must not replace
 * the folder asked for since), and a listing never overwrites a path typed
 * after it was requested.
 */
export function useFolderListing(imagesOnly: boolean) {
  const [listing, setListing] = useState<DirectoryListing | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [typed, setTypedState] = useState('');
  const latest = useRef(0);
  const editedAt = useRef(0);

  /**
   * Lists `path` and shows it unless a newer request was made meanwhile.
   * Resolves with the listing either way (null when it failed): a caller
   * that asked for a file's path opens the file even if another listing
   * (e.g. the dialog's first) overtook it.
   */
  const go = useCallback(
    async (path?: string, options: { imagesOnly?: boolean } = {}): Promise<DirectoryListing | null> => {
      const request = ++latest.current;
      try {
        const next = await api.listDirectory({ path: path || undefined, imagesOnly: options.imagesOnly ?? imagesOnly });
        if (request !== latest.current) return next;
        setListing(next);
        if (editedAt.current < request) setTypedState(next.path);
        setError(null);
        return next;
      } catch (e) {
        if (request === latest.current) setError(toErrorInfo(e));
        return null;
      }
    },
    [imagesOnly],
  );

  const setTyped = useCallback((value: string) => {
    editedAt.current = latest.current;
    setTypedState(value);
  }, []);
  const clearError = useCallback(() => setError(null), []);
  /** The user is in the path field: listings asked for before this no longer replace its text (typing may be under way). */
  const touch = useCallback(() => {
    editedAt.current = latest.current;
  }, []);

  return { listing, error, typed, setTyped, go, clearError, touch };
}

/** Home, Pictures, Samples, recent folders… */
export function PlacesList({ listing, onGo }: { listing: DirectoryListing | null; onGo(path: string): void }) {
  return (
    <aside className="browser-places" aria-label="Places">
      {listing?.places.map((place) => (
        <button type="button" key={place.path} className="place" onClick={() => onGo(place.path)} title={place.path}>
          <Icon name="folder" /> {place.name}
        </button>
      ))}
    </aside>
  );
}

/** Up, the path field (Enter goes there; a file's path is handled by the dialog) and extra buttons. */
export function PathBar({ listing, typed, setTyped, touch, onSubmit, onGo, label, testId, children }: {
  listing: DirectoryListing | null;
  typed: string;
  setTyped(value: string): void;
  touch(): void;
  onSubmit(path: string): void;
  onGo(path: string): void;
  label: string;
  testId: string;
  children?: React.ReactNode;
}) {
  return (
    <form
      className="browser-path"
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit(typed.trim());
      }}
    >
      <button type="button" className="icon-button" disabled={!listing?.parent} onClick={() => listing?.parent && onGo(listing.parent)} aria-label="Up one folder" title="Up one folder">
        <Icon name="up" />
      </button>
      <input value={typed} onChange={(e) => setTyped(e.target.value)} onFocus={touch} onPointerDown={touch} aria-label={label} data-testid={testId} spellCheck={false} />
      <button type="submit" className="button">Go</button>
      {children}
    </form>
  );
}
