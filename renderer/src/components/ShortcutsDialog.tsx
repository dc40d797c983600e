import { useApp } from '../state/store';
import { Dialog } from './Dialog';
import { SHORTCUTS } from './use-shortcuts';

export function ShortcutsDialog() {
  const open = useApp((s) => s.dialogs.shortcuts);
  const setDialog = useApp((s) => s.setDialog);
  return (
    <Dialog open={open} title="Keyboard shortcuts" onClose={() => setDialog('shortcuts', false)}>
      <table className="shortcuts">
        <tbody>
          {SHORTCUTS.map((s) => (
            <tr key={s.keys}>
              <td><kbd>{s.keys}</kbd></td>
              <td>{s.action}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Dialog>
  );
}
