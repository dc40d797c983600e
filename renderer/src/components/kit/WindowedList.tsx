import { useEffect, useRef, useState, type ReactNode } from 'react';

/**
 * A result list of any length: only the rows in view exist in the DOM
 * (tens of thousands of detections stay cheap), the selected row is kept in
 * view.
 */
export function WindowedList<T>({ items, rowHeight, maxHeight, selectedIndex, renderRow, testId }: {
  items: T[];
  rowHeight: number;
  maxHeight: number;
  selectedIndex: number;
  renderRow(item: T, index: number, style: { top: number; height: number }): ReactNode;
  testId?: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const [scroll, setScroll] = useState(0);
  const height = Math.min(maxHeight, items.length * rowHeight + 2);
  const first = Math.max(0, Math.floor(scroll / rowHeight) - 4);
  const last = Math.min(items.length, Math.ceil((scroll + maxHeight) / rowHeight) + 4);

  useEffect(() => {
    const el = box.current;
    if (selectedIndex < 0 || !el) return;
    const top = selectedIndex * rowHeight;
    if (top < el.scrollTop || top + rowHeight > el.scrollTop + maxHeight) el.scrollTop = Math.max(0, top - maxHeight / 2);
  }, [selectedIndex, rowHeight, maxHeight]);

  if (!items.length) return null;
  return (
    <div className="windowed-list" ref={box} style={{ height }} onScroll={(e) => setScroll(e.currentTarget.scrollTop)} data-testid={testId} data-count={items.length} role="list">
      <div style={{ height: items.length * rowHeight, position: 'relative' }}>
        {items.slice(first, last).map((item, k) => renderRow(item, first + k, { top: (first + k) * rowHeight, height: rowHeight }))}
      </div>
    </div>
  );
}
