/**
 * A folder nobody may write into, for real: chmod does not stop root, so as
 * root the folder gets the immutable attribute (chattr +i, ext4/xfs/btrfs);
 * otherwise mode 0555. `null` when neither holds here (the test then skips
 * with a message).
 */
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';

export async function makeReadOnly(dir: string): Promise<{ undo(): Promise<void> } | null> {
  const isRoot = process.getuid?.() === 0;
  try {
    if (isRoot) execFileSync('chattr', ['+i', dir], { stdio: 'ignore' });
    else await fs.chmod(dir, 0o555);
  } catch {
    return null;
  }
  const undo = async () => {
    if (isRoot) execFileSync('chattr', ['-i', dir], { stdio: 'ignore' });
    else await fs.chmod(dir, 0o755);
  };
  // Proves it: a folder we can still write into is no test of a read-only one.
  const probe = path.join(dir, '.probe');
  const writable = await fs.writeFile(probe, '').then(() => true, () => false);
  if (writable) {
    await fs.rm(probe, { force: true });
    await undo();
    return null;
  }
  return { undo };
}
