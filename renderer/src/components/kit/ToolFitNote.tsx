import type { ImageInfo, Sample } from '../../../../electron/common/contract';
import { useApp, type ToolId } from '../../state/store';
import { PanelNote } from './ToolPanel';

const TOOL_NAMES: Record<Exclude<ToolId, 'image'>, string> = { colorize: 'Colorize', faces: 'Faces', detect: 'Detect' };
const WHAT: Record<Exclude<ToolId, 'image'>, string> = {
  colorize: 'black-and-white photos',
  faces: 'photos of people',
  detect: 'aerial images seen from straight above at 10–30 cm per pixel',
};

/** The sample that suits a tool best (the first listed for it). */
export function sampleFor(samples: Sample[], tool: Exclude<ToolId, 'image'>): Sample | undefined {
  return samples.find((s) => s.use.includes(tool));
}

/**
 * When the open image is one of the app's samples made for another tool,
 * says so and offers the sample that suits this one (the start screen tells
 * the same): e.g. an old photo of an airplane in Detect finds nonsense.
 */
export function ToolFitNote({ image, tool }: { image: ImageInfo; tool: Exclude<ToolId, 'image'> }) {
  const samples = useApp((s) => s.samples);
  const openPaths = useApp((s) => s.openPaths);
  const sample = samples.find((s) => s.path === image.path);
  if (!sample || sample.use.includes(tool)) return null;
  const better = sampleFor(samples, tool);
  const madeFor = sample.use.filter((u): u is Exclude<ToolId, 'image'> => u !== 'view').map((u) => TOOL_NAMES[u]);
  return (
    <PanelNote kind="warn" testId="tool-fit-note">
      <p>
        This sample is meant for {madeFor.join(' and ') || 'viewing'}. {TOOL_NAMES[tool]} is made for {WHAT[tool]}, so what it finds here means little.
      </p>
      {better && (
        <p>
          <button type="button" className="link" onClick={() => void openPaths([better.path])} data-testid="tool-fit-open">
            Open “{better.title}”
          </button>{' '}
          instead.
        </p>
      )}
    </PanelNote>
  );
}
