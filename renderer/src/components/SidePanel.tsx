import type { ReactNode, RefObject } from 'react';
import type { ImageInfo } from '../../../electron/common/contract';
import { DetectPanel } from '../detect/DetectPanel';
import { ColorizePanel } from '../colorize/ColorizePanel';
import { FacesPanel } from '../faces/FacesPanel';
import type { ViewerHandle } from '../viewer/ImageViewer';
import { useApp, type ToolId } from '../state/store';
import { Inspector } from './Inspector';
import './side-panel.css';

interface Tool {
  id: ToolId;
  label: string;
  render(image: ImageInfo, viewer: RefObject<ViewerHandle | null>): ReactNode;
}

/** The right-hand column: the image's details and one tab per tool. Add a tool with one entry here. */
const TOOLS: Tool[] = [
  { id: 'image', label: 'Image', render: (image) => <Inspector image={image} /> },
  { id: 'colorize', label: 'Colorize', render: (image) => <ColorizePanel image={image} /> },
  { id: 'faces', label: 'Faces', render: (image, viewer) => <FacesPanel image={image} viewer={viewer} /> },
  { id: 'detect', label: 'Detect', render: (image, viewer) => <DetectPanel image={image} viewer={viewer} /> },
];

export function SidePanel({ image, viewer }: { image: ImageInfo; viewer: RefObject<ViewerHandle | null> }) {
  const active = useApp((s) => s.tool);
  const setActive = useApp((s) => s.setTool);
  const tool = TOOLS.find((t) => t.id === active) ?? TOOLS[0];
  return (
    <aside className="side-panel" data-testid="side-panel" data-tool={tool.id}>
      <nav className="side-tabs" role="tablist" aria-label="Tools">
        {TOOLS.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            aria-selected={t.id === tool.id}
            className={`side-tab ${t.id === tool.id ? 'active' : ''}`}
            onClick={() => setActive(t.id)}
            data-testid={`tool-tab-${t.id}`}
          >
            {t.label}
          </button>
        ))}
      </nav>
      <div className="side-body" role="tabpanel" aria-label={tool.label}>
        {tool.render(image, viewer)}
      </div>
    </aside>
  );
}
