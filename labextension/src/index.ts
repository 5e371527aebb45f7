/**
 * JupyterLab mime renderer extension for nbgov lineage graphs.
 *
 * Renders `application/vnd.nbgov.lineage+json` outputs, in trusted and
 * untrusted notebooks alike (`safe: true`: nothing from the data is parsed as
 * HTML and the SVG is filtered, see render.ts), so a saved notebook shows its
 * graphs without a kernel. The WebAssembly Graphviz (`@viz-js/viz`) is bundled
 * from npm into its own chunk and loaded once per page, on the first render.
 */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';

import { Engine, LineageDataError, LineageView, MIME_TYPE, parseLineageData } from './render';

export { MIME_TYPE } from './render';

let engine: Promise<Engine> | null = null;

/** The Graphviz engine, loaded on first use and shared by every output on the page. */
export function loadEngine(): Promise<Engine> {
  if (engine === null) {
    const start = performance.now();
    engine = import(/* webpackChunkName: "viz" */ '@viz-js/viz').then(async viz => {
      const instance = await viz.instance();
      performance.measure('nbgov-lineage:engine', { start });
      return (dot: string): string => {
        const result = instance.render(dot, { format: 'svg' });
        if (result.status !== 'success') {
          const messages = result.errors.map(e => e.message.trim()).filter(m => m !== '');
          throw new Error(messages.join('; ') || 'Graphviz failed');
        }
        return result.output;
      };
    });
    // A failed load (e.g. the chunk could not be fetched) may succeed later.
    engine.catch(() => {
      engine = null;
    });
  }
  return engine;
}

/** One output area's renderer. */
export class LineageRenderer extends Widget implements IRenderMime.IRenderer {
  private mimeType: string;

  constructor(options: IRenderMime.IRendererOptions) {
    super();
    this.mimeType = options.mimeType;
    this.addClass('nbgov-lineage-output');
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    let data;
    try {
      data = parseLineageData(model.data[this.mimeType]);
    } catch (error) {
      if (!(error instanceof LineageDataError)) {
        throw error;
      }
      this.node.textContent = `nbgov: cannot show this lineage output: ${error.message}`;
      return;
    }
    const start = performance.now();
    const view = new LineageView(this.node, data, loadEngine());
    await view.render();
    // Time from the output's arrival to its drawing (the first one on a page includes loading the engine).
    performance.measure('nbgov-lineage:draw', { start });
  }
}

export const rendererFactory: IRenderMime.IRendererFactory = {
  safe: true,
  mimeTypes: [MIME_TYPE],
  defaultRank: 0,
  createRenderer: options => new LineageRenderer(options)
};

const extension: IRenderMime.IExtension = {
  id: 'nbgov-lineage:renderer',
  description: 'Renders nbgov lineage graphs (application/vnd.nbgov.lineage+json).',
  rendererFactory,
  rank: 0,
  dataType: 'json'
};

export default extension;
