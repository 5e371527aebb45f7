/**
 * Drawing and interaction for nbgov lineage outputs.
 *
 * This module knows nothing about JupyterLab: it turns the MIME data of
 * `application/vnd.nbgov.lineage+json` into DOM inside a host element, given
 * an engine that turns DOT into SVG markup. `index.ts` wires it into
 * JupyterLab's rendermime; anything else that can supply an engine (a widget,
 * a report page) can reuse it.
 *
 * Safety: outputs render in untrusted notebooks, so every string from the
 * data reaches the DOM through `textContent` or attribute setters, never
 * through HTML parsing, and the SVG produced by Graphviz is parsed as XML and
 * filtered through an allow-list (no links, scripts, event handlers, foreign
 * objects or external references).
 */

export const MIME_TYPE = 'application/vnd.nbgov.lineage+json';

/** The format version this renderer understands. */
export const FORMAT_VERSION = 1;

export type NodeKind = 'DATASET' | 'JOB' | 'MODEL' | 'DATASET_FIELD';

export interface LineageNode {
  kind: NodeKind | string;
  label: string;
  card?: Record<string, unknown> | null;
}

/** The MIME data, exactly as the Python side writes it (see labextension/README.md). */
export interface LineageData {
  version: number;
  title: string;
  dot: string;
  columns_dot?: string | null;
  nodes: Record<string, LineageNode>;
  notice?: string | null;
  /** the level shown first (optional; `table` when absent or when there is no `columns_dot`) */
  level?: Level;
}

/** Turns DOT into SVG markup; throws an Error whose message says what is wrong. */
export type Engine = (dot: string) => string;

export type Level = 'table' | 'column';

/** Raised for MIME data that does not follow the contract. */
export class LineageDataError extends Error {}

/**
 * Check MIME data against the contract and return it typed.
 *
 * @throws LineageDataError when a required key is missing or has the wrong type.
 */
export function parseLineageData(raw: unknown): LineageData {
  let value = raw;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      throw new LineageDataError('the lineage data is not JSON');
    }
  }
  if (!isObject(value)) {
    throw new LineageDataError('the lineage data is not a JSON object');
  }
  if (typeof value.dot !== 'string' || value.dot.trim() === '') {
    throw new LineageDataError('the lineage data has no "dot" string');
  }
  const nodes: Record<string, LineageNode> = {};
  if (isObject(value.nodes)) {
    for (const [id, node] of Object.entries(value.nodes)) {
      if (isObject(node)) {
        nodes[id] = {
          kind: typeof node.kind === 'string' ? node.kind : 'DATASET',
          label: typeof node.label === 'string' ? node.label : id,
          card: isObject(node.card) ? node.card : null
        };
      }
    }
  }
  return {
    version: typeof value.version === 'number' ? value.version : FORMAT_VERSION,
    title: typeof value.title === 'string' ? value.title : 'Lineage',
    dot: value.dot,
    columns_dot:
      typeof value.columns_dot === 'string' && value.columns_dot.trim() !== ''
        ? value.columns_dot
        : null,
    nodes,
    notice: typeof value.notice === 'string' && value.notice !== '' ? value.notice : null,
    level: value.level === 'column' ? 'column' : 'table'
  };
}

const KIND_NAMES: Record<string, string> = {
  DATASET: 'Dataset',
  JOB: 'Job',
  MODEL: 'Model',
  DATASET_FIELD: 'Column'
};

/** Human name of a node kind ("Dataset", "Job", ...). */
export function kindName(kind: string): string {
  return KIND_NAMES[kind] ?? kind;
}

// ---------------------------------------------------------------------------
// SVG sanitising

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Elements Graphviz emits for drawings; everything else is dropped. */
const ALLOWED_ELEMENTS = new Set([
  'svg',
  'g',
  'title',
  'path',
  'polygon',
  'polyline',
  'ellipse',
  'circle',
  'rect',
  'line',
  'text',
  'tspan',
  'defs',
  'lineargradient',
  'radialgradient',
  'stop'
]);

/** Elements whose children are kept while the element itself is removed. */
const UNWRAPPED_ELEMENTS = new Set(['a', 'switch']);

const REFERENCE_TARGETS = new Set(['lineargradient', 'radialgradient']);

let renderCounter = 0;

/**
 * Parse Graphviz SVG markup into an element safe to insert into the page.
 *
 * Node and edge ids move to `data-nbgov-id` (the same graph may be shown by
 * several outputs on one page); gradient ids get a per-drawing prefix and the
 * `url(#…)` references to them are rewritten.
 */
export function sanitizeSvg(markup: string, doc: Document = document): SVGSVGElement {
  const parsed = new DOMParser().parseFromString(markup, 'image/svg+xml');
  const root = parsed.documentElement;
  if (root.localName !== 'svg' || parsed.getElementsByTagName('parsererror').length > 0) {
    throw new Error('the graph engine returned no SVG');
  }
  const prefix = `nbgov-${++renderCounter}-`;
  const renamed = new Map<string, string>();

  const clean = (element: Element): void => {
    for (const child of Array.from(element.children)) {
      const name = child.localName.toLowerCase();
      if (child.namespaceURI === SVG_NS && UNWRAPPED_ELEMENTS.has(name)) {
        const kids = Array.from(child.childNodes);
        for (const kid of kids) {
          element.insertBefore(kid, child);
        }
        element.removeChild(child);
        for (const kid of kids) {
          if (kid.nodeType === kid.ELEMENT_NODE) {
            cleanOne(kid as Element, element);
          }
        }
        continue;
      }
      cleanOne(child, element);
    }
  };

  const cleanOne = (child: Element, parent: Element): void => {
    const name = child.localName.toLowerCase();
    if (child.namespaceURI !== SVG_NS || !ALLOWED_ELEMENTS.has(name)) {
      parent.removeChild(child);
      return;
    }
    cleanAttributes(child, name);
    clean(child);
  };

  const cleanAttributes = (element: Element, name: string): void => {
    for (const attr of Array.from(element.attributes)) {
      const attrName = attr.name.toLowerCase();
      const local = attr.localName.toLowerCase();
      if (
        attrName.startsWith('on') ||
        local === 'href' ||
        attrName === 'style' ||
        attrName === 'target' ||
        attrName.startsWith('xml:base') ||
        (attr.value.includes('url(') && !/^\s*url\(#[^)]*\)\s*$/.test(attr.value)) ||
        /^\s*(javascript|data|vbscript):/i.test(attr.value)
      ) {
        element.removeAttributeNode(attr);
      }
    }
    const id = element.getAttribute('id');
    if (id !== null) {
      element.removeAttribute('id');
      if (REFERENCE_TARGETS.has(name)) {
        renamed.set(id, prefix + id);
        element.setAttribute('id', prefix + id);
      } else {
        element.setAttribute('data-nbgov-id', id);
      }
    }
  };

  cleanAttributes(root, 'svg');
  clean(root);

  if (renamed.size > 0) {
    for (const element of Array.from(root.querySelectorAll('*'))) {
      for (const attr of Array.from(element.attributes)) {
        const match = /^\s*url\(#([^)]*)\)\s*$/.exec(attr.value);
        if (match) {
          const target = renamed.get(match[1]);
          if (target) {
            attr.value = `url(#${target})`;
          } else {
            element.removeAttributeNode(attr);
          }
        }
      }
    }
  }
  return doc.importNode(root, true) as unknown as SVGSVGElement;
}

// ---------------------------------------------------------------------------
// The graph as drawn

interface DrawnGraph {
  svg: SVGSVGElement;
  /** node id → its `<g class="node">` (or a cluster standing for a node) */
  elements: Map<string, SVGGElement>;
  /** how many `<g class="node">` were drawn (clusters standing for a node not counted) */
  nodeCount: number;
  /** edge `<g>` with its two ends */
  edges: { element: SVGGElement; tail: string; head: string }[];
  downstream: Map<string, Set<string>>;
  upstream: Map<string, Set<string>>;
}

function has(nodes: Record<string, LineageNode>, id: string): boolean {
  return Object.prototype.hasOwnProperty.call(nodes, id);
}

/**
 * The node an SVG element `id` names: the id itself when it is a key of `nodes`,
 * else its percent-decoded form (the Python side writes `id` percent-encoded,
 * `nbgov.views.dot.element_id`, so any node id makes a valid, unescaped id).
 */
export function nodeOfElementId(id: string | null, nodes: Record<string, LineageNode>): string | null {
  if (id === null) {
    return null;
  }
  if (has(nodes, id)) {
    return id;
  }
  try {
    const decoded = decodeURIComponent(id);
    return has(nodes, decoded) ? decoded : null;
  } catch {
    return null; // not percent-encoded (e.g. a stray "%")
  }
}

function titleOf(element: Element): string | null {
  for (const child of Array.from(element.children)) {
    if (child.localName === 'title') {
      return child.textContent ?? '';
    }
  }
  return null;
}

/** Strip a Graphviz port (`node:port`) when the bare name is a known node. */
function withoutPort(name: string, known: Set<string>): string | null {
  if (known.has(name)) {
    return name;
  }
  let cut = name.lastIndexOf(':');
  while (cut > 0) {
    const candidate = name.slice(0, cut);
    if (known.has(candidate)) {
      return candidate;
    }
    cut = name.lastIndexOf(':', cut - 1);
  }
  return null;
}

/** Split an edge title `tail->head` where either name may itself contain `->`. */
export function splitEdgeTitle(title: string, known: Set<string>): [string, string] | null {
  for (const arrow of ['->', '--']) {
    let at = title.indexOf(arrow);
    while (at >= 0) {
      const tail = withoutPort(title.slice(0, at), known);
      const head = withoutPort(title.slice(at + arrow.length), known);
      if (tail !== null && head !== null) {
        return [tail, head];
      }
      at = title.indexOf(arrow, at + 1);
    }
  }
  return null;
}

function indexGraph(svg: SVGSVGElement, data: LineageData): DrawnGraph {
  const elements = new Map<string, SVGGElement>();
  const drawnNodes = new Set<string>();
  for (const g of Array.from(svg.querySelectorAll<SVGGElement>('g.node'))) {
    const title = titleOf(g);
    const named = nodeOfElementId(g.getAttribute('data-nbgov-id'), data.nodes);
    const id = title !== null && (has(data.nodes, title) || named === null) ? title : named ?? title;
    if (id !== null) {
      elements.set(id, g);
      drawnNodes.add(id);
    }
  }
  // A cluster whose id (or name) is a node id stands for that node (e.g. a
  // dataset drawn as a box around its columns).
  for (const g of Array.from(svg.querySelectorAll<SVGGElement>('g.cluster'))) {
    const title = titleOf(g);
    const id =
      nodeOfElementId(g.getAttribute('data-nbgov-id'), data.nodes) ??
      (title !== null && has(data.nodes, title) ? title : null);
    if (id !== null && !elements.has(id)) {
      elements.set(id, g);
    }
  }
  const edges: DrawnGraph['edges'] = [];
  const downstream = new Map<string, Set<string>>();
  const upstream = new Map<string, Set<string>>();
  for (const g of Array.from(svg.querySelectorAll<SVGGElement>('g.edge'))) {
    const title = titleOf(g);
    const ends = title === null ? null : splitEdgeTitle(title, drawnNodes);
    if (ends === null) {
      continue;
    }
    const [tail, head] = ends;
    edges.push({ element: g, tail, head });
    addTo(downstream, tail, head);
    addTo(upstream, head, tail);
  }
  return { svg, elements, nodeCount: drawnNodes.size, edges, downstream, upstream };
}

function addTo(map: Map<string, Set<string>>, key: string, value: string): void {
  let set = map.get(key);
  if (!set) {
    set = new Set();
    map.set(key, set);
  }
  set.add(value);
}

/** Every node reachable from `start` through `next`, `start` excluded. */
export function reachable(start: string, next: Map<string, Set<string>>): Set<string> {
  const seen = new Set<string>();
  const queue = [start];
  while (queue.length > 0) {
    const current = queue.pop() as string;
    for (const n of next.get(current) ?? []) {
      if (n !== start && !seen.has(n)) {
        seen.add(n);
        queue.push(n);
      }
    }
  }
  return seen;
}

// ---------------------------------------------------------------------------
// The view

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (className) {
    element.className = className;
  }
  if (text !== undefined) {
    element.textContent = text;
  }
  return element;
}

/**
 * One lineage output: toolbar, drawing, card panel.
 *
 * `render()` draws the table level; the toolbar switches to the column level
 * when the data has `columns_dot`. Both drawings are made once and kept.
 */
export class LineageView {
  readonly host: HTMLElement;
  private data: LineageData;
  private engine: Promise<Engine>;
  private level: Level = 'table';
  private drawn = new Map<Level, DrawnGraph>();
  private selected: string | null = null;
  private graphArea: HTMLDivElement;
  private card: HTMLElement;
  private status: HTMLSpanElement;
  private levelButtons = new Map<Level, HTMLButtonElement>();
  private fitButton: HTMLButtonElement;

  constructor(host: HTMLElement, data: LineageData, engine: Promise<Engine>) {
    this.host = host;
    this.data = data;
    this.engine = engine;
    host.classList.add('nbgov-lineage');
    host.textContent = '';

    const toolbar = el('div', 'nbgov-lineage-toolbar');
    toolbar.setAttribute('role', 'toolbar');
    toolbar.setAttribute('aria-label', 'Lineage graph controls');
    toolbar.appendChild(el('span', 'nbgov-lineage-title', data.title));
    if (data.columns_dot) {
      const group = el('div', 'nbgov-lineage-levels');
      group.setAttribute('role', 'group');
      group.setAttribute('aria-label', 'Level of detail');
      for (const [level, text] of [
        ['table', 'Tables'],
        ['column', 'Columns']
      ] as [Level, string][]) {
        const button = el('button', 'nbgov-lineage-button', text);
        button.type = 'button';
        button.dataset.level = level;
        button.setAttribute('aria-pressed', String(level === this.level));
        button.addEventListener('click', () => void this.showLevel(level));
        group.appendChild(button);
        this.levelButtons.set(level, button);
      }
      toolbar.appendChild(group);
    }
    this.fitButton = el('button', 'nbgov-lineage-button nbgov-lineage-fit', 'Fit width');
    this.fitButton.type = 'button';
    this.fitButton.setAttribute('aria-pressed', 'false');
    this.fitButton.addEventListener('click', () => this.toggleFit());
    toolbar.appendChild(this.fitButton);
    this.status = el('span', 'nbgov-lineage-status');
    this.status.setAttribute('aria-live', 'polite');
    toolbar.appendChild(this.status);
    host.appendChild(toolbar);

    if (data.notice) {
      const notice = el('p', 'nbgov-lineage-notice', data.notice);
      notice.setAttribute('role', 'note');
      host.appendChild(notice);
    }
    if (data.version > FORMAT_VERSION) {
      const notice = el(
        'p',
        'nbgov-lineage-notice',
        `This output was written by a newer nbgov (format ${data.version}); ` +
          `this extension understands format ${FORMAT_VERSION} and shows what it can.`
      );
      notice.setAttribute('role', 'note');
      host.appendChild(notice);
    }

    const body = el('div', 'nbgov-lineage-body');
    this.graphArea = el('div', 'nbgov-lineage-graph');
    this.graphArea.setAttribute('role', 'group');
    this.graphArea.setAttribute('aria-label', `Lineage graph: ${data.title}`);
    body.appendChild(this.graphArea);
    this.card = el('aside', 'nbgov-lineage-card');
    this.card.setAttribute('aria-label', 'Node details');
    this.card.hidden = true;
    body.appendChild(this.card);
    host.appendChild(body);
  }

  /** Draw the first level (awaits the engine on the first call on the page). */
  async render(): Promise<void> {
    await this.showLevel(this.data.level === 'column' && this.data.columns_dot ? 'column' : 'table');
  }

  /** Switch to a level, drawing it on first use. */
  async showLevel(level: Level): Promise<void> {
    const dot = level === 'column' ? this.data.columns_dot : this.data.dot;
    if (!dot) {
      return;
    }
    this.level = level;
    for (const [l, button] of this.levelButtons) {
      button.setAttribute('aria-pressed', String(l === level));
    }
    let graph = this.drawn.get(level);
    if (!graph) {
      this.graphArea.textContent = '';
      this.graphArea.appendChild(el('p', 'nbgov-lineage-loading', 'Drawing the graph…'));
      this.status.textContent = '';
      try {
        const engine = await this.engine;
        const start = performance.now();
        const svg = sanitizeSvg(engine(dot));
        graph = indexGraph(svg, this.data);
        this.decorate(graph);
        performance.measure('nbgov-lineage:layout', { start });
        this.drawn.set(level, graph);
      } catch (error) {
        this.showError(error);
        return;
      }
      if (this.level !== level) {
        return; // the user switched again while this level was drawing
      }
    }
    this.graphArea.textContent = '';
    this.graphArea.appendChild(graph.svg);
    this.host.dataset.level = level;
    const keep = this.selected !== null && graph.elements.has(this.selected) ? this.selected : null;
    this.select(keep, false);
  }

  private showError(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.graphArea.textContent = '';
    const p = el('p', 'nbgov-lineage-error', `nbgov could not draw this graph: ${message}`);
    p.setAttribute('role', 'alert');
    this.graphArea.appendChild(p);
    const pre = el('pre', 'nbgov-lineage-dot', this.level === 'column' ? this.data.columns_dot ?? '' : this.data.dot);
    this.graphArea.appendChild(pre);
  }

  private decorate(graph: DrawnGraph): void {
    graph.svg.classList.add('nbgov-lineage-svg');
    graph.svg.setAttribute('role', 'img');
    graph.svg.setAttribute('aria-label', `${this.data.title}: ${graph.nodeCount} nodes, ${graph.edges.length} edges`);
    graph.svg.dataset.naturalWidth = graph.svg.getAttribute('width') ?? '';
    graph.svg.dataset.naturalHeight = graph.svg.getAttribute('height') ?? '';
    for (const [id, g] of graph.elements) {
      const node = this.data.nodes[id];
      g.classList.add('nbgov-node');
      if (node) {
        g.classList.add(`nbgov-kind-${node.kind.toLowerCase().replace(/[^a-z0-9_-]/g, '')}`);
      }
      g.dataset.nodeId = id;
      g.setAttribute('tabindex', '0');
      g.setAttribute('role', 'button');
      g.setAttribute('focusable', 'true');
      g.setAttribute('aria-label', this.describe(id));
      g.addEventListener('click', event => {
        event.stopPropagation();
        this.select(id, true);
      });
      g.addEventListener('keydown', event => {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault();
          event.stopPropagation();
          this.select(id, true);
        } else if (event.key === 'Escape') {
          this.select(null, false);
        }
      });
    }
  }

  private describe(id: string): string {
    const node = this.data.nodes[id];
    return node ? `${kindName(node.kind)} ${node.label.split('\n').join(', ')}` : id;
  }

  private toggleFit(): void {
    const fit = this.fitButton.getAttribute('aria-pressed') !== 'true';
    this.fitButton.setAttribute('aria-pressed', String(fit));
    this.host.classList.toggle('nbgov-fit', fit);
  }

  /** Select a node (or none): highlight its lineage and show its card. */
  select(id: string | null, showCard: boolean): void {
    const graph = this.drawn.get(this.level);
    if (!graph) {
      return;
    }
    this.selected = id;
    const up = id ? reachable(id, graph.upstream) : new Set<string>();
    const down = id ? reachable(id, graph.downstream) : new Set<string>();
    graph.svg.classList.toggle('nbgov-has-selection', id !== null);
    for (const [nodeId, g] of graph.elements) {
      const role =
        nodeId === id ? 'selected' : up.has(nodeId) ? 'upstream' : down.has(nodeId) ? 'downstream' : null;
      g.classList.toggle('nbgov-selected', role === 'selected');
      g.classList.toggle('nbgov-upstream', role === 'upstream');
      g.classList.toggle('nbgov-downstream', role === 'downstream');
      const base = this.describe(nodeId);
      g.setAttribute(
        'aria-label',
        role === null ? base : role === 'selected' ? `${base} (selected)` : `${base} (${role} of the selection)`
      );
      if (role === 'selected') {
        g.setAttribute('aria-pressed', 'true');
      } else {
        g.removeAttribute('aria-pressed');
      }
    }
    for (const edge of graph.edges) {
      const onPath =
        id !== null &&
        ((edge.head === id || down.has(edge.head)) && (edge.tail === id || down.has(edge.tail)) ||
          ((edge.tail === id || up.has(edge.tail)) && (edge.head === id || up.has(edge.head))));
      edge.element.classList.toggle('nbgov-on-path', onPath);
    }
    if (id === null) {
      this.status.textContent =
        `${graph.nodeCount} nodes, ${graph.edges.length} edges. ` +
        'Click a node, or Tab to it and press Enter, for its details.';
      this.card.hidden = true;
      this.card.textContent = '';
      return;
    }
    this.status.textContent =
      `Selected ${this.describe(id)}: ${up.size} upstream (▲), ${down.size} downstream (▼).`;
    if (showCard || !this.card.hidden) {
      this.showCard(id, up, down);
    }
  }

  private showCard(id: string, up: Set<string>, down: Set<string>): void {
    const node = this.data.nodes[id] ?? { kind: 'UNKNOWN', label: id, card: null };
    const card = this.card;
    card.textContent = '';
    card.hidden = false;
    card.dataset.nodeId = id;

    const header = el('div', 'nbgov-card-header');
    const heading = el('h3', 'nbgov-card-title', node.label);
    header.appendChild(heading);
    const close = el('button', 'nbgov-lineage-button nbgov-card-close', 'Close');
    close.type = 'button';
    close.setAttribute('aria-label', 'Close the details');
    close.addEventListener('click', () => {
      const graph = this.drawn.get(this.level);
      this.select(null, false);
      graph?.elements.get(id)?.focus();
    });
    header.appendChild(close);
    card.appendChild(header);

    const content = node.card ?? {};
    const factTable = el('table', 'nbgov-card-facts');
    const facts = el('tbody');
    factTable.appendChild(facts);
    addFact(facts, 'Kind', kindName(node.kind));
    addFact(facts, 'Node id', id, 'code');
    const shown = new Set(['id']);
    for (const [key, title] of FACT_KEYS) {
      const value = content[key];
      if (!isEmpty(value) && (typeof value !== 'object' || value === null)) {
        addFact(facts, title, scalarText(value));
        shown.add(key);
      }
    }
    card.appendChild(factTable);

    for (const [key, title] of SECTION_KEYS) {
      const value = content[key];
      if (isEmpty(value)) {
        continue;
      }
      shown.add(key);
      const view =
        key === 'fields'
          ? schemaTable(value)
          : key === 'latestRun'
            ? runView(value)
            : CODE_KEYS.has(key) && typeof value === 'string'
              ? el('pre', 'nbgov-card-code', value)
              : valueView(value, 0);
      card.appendChild(section(title, view));
    }
    for (const [key, value] of Object.entries(content)) {
      if (!shown.has(key) && !isEmpty(value)) {
        card.appendChild(section(humanize(key), valueView(value, 0)));
      }
    }
    if (Object.values(content).every(isEmpty)) {
      card.appendChild(el('p', 'nbgov-card-empty', 'No details were recorded for this node.'));
    }
    card.appendChild(this.relatedList('Upstream ▲', up));
    card.appendChild(this.relatedList('Downstream ▼', down));
  }

  private relatedList(title: string, ids: Set<string>): HTMLElement {
    const limit = 50;
    const list = el('ul', 'nbgov-card-related');
    const sorted = [...ids].sort((a, b) => this.describe(a).localeCompare(this.describe(b)));
    for (const id of sorted.slice(0, limit)) {
      const item = el('li');
      const button = el('button', 'nbgov-link-button', this.describe(id));
      button.type = 'button';
      button.addEventListener('click', () => {
        this.select(id, true);
        this.drawn.get(this.level)?.elements.get(id)?.focus();
      });
      item.appendChild(button);
      list.appendChild(item);
    }
    if (sorted.length > limit) {
      list.appendChild(el('li', 'nbgov-card-more', `… and ${sorted.length - limit} more`));
    }
    const content: HTMLElement = sorted.length > 0 ? list : el('p', 'nbgov-card-empty', 'None.');
    return section(`${title} (${ids.size})`, content);
  }
}

// ---------------------------------------------------------------------------
// Card pieces: every value reaches the page as text

/** Scalar card keys listed under the title, in this order. */
const FACT_KEYS: [string, string][] = [
  ['namespace', 'Namespace'],
  ['name', 'Name'],
  ['dataset', 'Dataset'],
  ['field', 'Column'],
  ['type', 'Type'],
  ['datasetKind', 'Dataset kind'],
  ['jobType', 'Job type'],
  ['integration', 'Integration'],
  ['transformation', 'Transformation'],
  ['description', 'Description'],
  ['parentJob', 'Parent job'],
  ['pii', 'PII'],
  ['versionCount', 'Versions'],
  ['updatedAt', 'Updated']
];

/** Card keys shown as sections, in this order; other non-empty keys follow under their own name. */
const SECTION_KEYS: [string, string][] = [
  ['fields', 'Schema'],
  ['quality', 'Quality'],
  ['latestRun', 'Last run'],
  ['versions', 'Versions'],
  ['owners', 'Owners'],
  ['tags', 'Tags'],
  ['piiColumns', 'PII columns'],
  ['inputs', 'Inputs'],
  ['outputs', 'Outputs'],
  ['sql', 'SQL'],
  ['sourceCode', 'Source code']
];

const CODE_KEYS = new Set(['sql', 'sourceCode']);

function isEmpty(value: unknown): boolean {
  return (
    value === null ||
    value === undefined ||
    value === '' ||
    (Array.isArray(value) && value.length === 0) ||
    (isObject(value) && Object.keys(value).length === 0)
  );
}

function addFact(list: HTMLTableSectionElement, name: string, value: string, tag: 'td' | 'code' = 'td'): void {
  const tr = el('tr');
  const th = el('th', undefined, name);
  th.scope = 'row';
  tr.appendChild(th);
  const td = el('td');
  if (tag === 'code') {
    td.appendChild(el('code', undefined, value));
  } else {
    td.textContent = value;
  }
  tr.appendChild(td);
  list.appendChild(tr);
}

function section(title: string, content: Node): HTMLElement {
  const s = el('section', 'nbgov-card-section');
  s.appendChild(el('h4', undefined, title));
  s.appendChild(content);
  return s;
}

/** A facet key as a heading: `rowCount` → "Row count"; other keys (data names) stay as written. */
function humanize(key: string): string {
  if (!/^[a-z]+(?:[A-Z][a-z0-9]*)+$/.test(key) && !/^[a-z]+$/.test(key)) {
    return key;
  }
  const spaced = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function scalarText(value: unknown): string {
  if (value === null || value === undefined) {
    return '—';
  }
  if (typeof value === 'number') {
    return Number.isInteger(value) ? value.toLocaleString('en-US') : String(Number(value.toPrecision(6)));
  }
  if (typeof value === 'boolean') {
    return value ? 'yes' : 'no';
  }
  return String(value);
}

function tagText(tag: unknown): string {
  if (isObject(tag)) {
    const name = tag.name ?? tag.key ?? tag.tag;
    const extra = [tag.value, tag.source ?? tag.origin].filter(v => v !== undefined && v !== null);
    return extra.length > 0 ? `${scalarText(name)} (${extra.map(scalarText).join(', ')})` : scalarText(name);
  }
  return scalarText(tag);
}

const MAX_ROWS = 200;

/** Schema: Name | Type | Tags | Description (when any field has one). */
function schemaTable(fields: unknown): Node {
  if (!Array.isArray(fields)) {
    return valueView(fields, 0);
  }
  const rows = fields.filter(isObject);
  const hasDescription = rows.some(f => typeof f.description === 'string' && f.description !== '');
  const table = el('table', 'nbgov-card-table nbgov-card-schema');
  const head = el('tr');
  for (const h of ['Name', 'Type', 'Tags', ...(hasDescription ? ['Description'] : [])]) {
    const th = el('th', undefined, h);
    th.scope = 'col';
    head.appendChild(th);
  }
  table.appendChild(el('thead')).appendChild(head);
  const body = el('tbody');
  for (const field of rows.slice(0, MAX_ROWS)) {
    const tr = el('tr');
    const name = el('th', 'nbgov-field-name', scalarText(field.name));
    name.scope = 'row';
    tr.appendChild(name);
    tr.appendChild(el('td', 'nbgov-field-type', field.type === undefined ? '—' : scalarText(field.type)));
    const tags = Array.isArray(field.tags) ? field.tags.map(tagText) : [];
    tr.appendChild(el('td', 'nbgov-field-tags', tags.length > 0 ? tags.join(', ') : '—'));
    if (hasDescription) {
      tr.appendChild(el('td', undefined, scalarText(field.description ?? '')));
    }
    body.appendChild(tr);
  }
  table.appendChild(body);
  return withMore(table, rows.length);
}

const STATE_MARKS: Record<string, string> = {
  COMPLETE: '✓',
  COMPLETED: '✓',
  SUCCESS: '✓',
  FAIL: '✗',
  FAILED: '✗',
  ABORT: '⊘',
  ABORTED: '⊘',
  RUNNING: '…',
  START: '…',
  NEW: '…'
};

/** Last run: a key/value list with the state spelled out and marked by a symbol. */
function runView(run: unknown): Node {
  if (!isObject(run)) {
    return valueView(run, 0);
  }
  const table = el('table', 'nbgov-card-facts nbgov-card-run');
  const body = el('tbody');
  const entries = Object.entries(run).sort(([a], [b]) => (a === 'state' ? -1 : b === 'state' ? 1 : 0));
  for (const [key, value] of entries) {
    const tr = el('tr');
    const th = el('th', undefined, humanize(key));
    th.scope = 'row';
    tr.appendChild(th);
    const td = el('td');
    if (key === 'state' && typeof value === 'string') {
      const state = value.toUpperCase();
      const mark = STATE_MARKS[state] ?? '•';
      td.appendChild(el('span', `nbgov-run-state nbgov-state-${state.toLowerCase().replace(/[^a-z]/g, '')}`, `${mark} ${state}`));
    } else {
      td.appendChild(valueView(value, 1));
    }
    tr.appendChild(td);
    body.appendChild(tr);
  }
  table.appendChild(body);
  return table;
}

/** Any JSON value as readable HTML: scalars as text, lists of records as tables, records as lists. */
export function valueView(value: unknown, depth: number): Node {
  if (value === null || value === undefined || typeof value !== 'object') {
    return document.createTextNode(scalarText(value));
  }
  if (depth > 4) {
    return el('code', undefined, JSON.stringify(value));
  }
  if (Array.isArray(value)) {
    if (value.length === 0) {
      return document.createTextNode('none');
    }
    if (value.every(isObject)) {
      const keys: string[] = [];
      for (const row of value as Record<string, unknown>[]) {
        for (const key of Object.keys(row)) {
          if (!keys.includes(key)) {
            keys.push(key);
          }
        }
      }
      const table = el('table', 'nbgov-card-table');
      const head = el('tr');
      for (const key of keys) {
        const th = el('th', undefined, humanize(key));
        th.scope = 'col';
        head.appendChild(th);
      }
      table.appendChild(el('thead')).appendChild(head);
      const body = el('tbody');
      for (const row of (value as Record<string, unknown>[]).slice(0, MAX_ROWS)) {
        const tr = el('tr');
        for (const key of keys) {
          const td = el('td');
          td.appendChild(valueView(row[key], depth + 1));
          tr.appendChild(td);
        }
        body.appendChild(tr);
      }
      table.appendChild(body);
      return withMore(table, value.length);
    }
    return document.createTextNode(value.map(v => (isObject(v) || Array.isArray(v) ? JSON.stringify(v) : tagText(v))).join(', '));
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) {
    return document.createTextNode('none');
  }
  if (entries.every(([, v]) => isObject(v))) {
    return recordTable(entries as [string, Record<string, unknown>][], depth);
  }
  const table = el('table', 'nbgov-card-table nbgov-card-kv');
  const body = el('tbody');
  for (const [key, v] of entries) {
    const tr = el('tr');
    const th = el('th', undefined, humanize(key));
    th.scope = 'row';
    tr.appendChild(th);
    const td = el('td');
    td.appendChild(valueView(v, depth + 1));
    tr.appendChild(td);
    body.appendChild(tr);
  }
  table.appendChild(body);
  return table;
}

/** `{name: {metric: value}}` (e.g. per-column quality) as one table: a row per name. */
function recordTable(entries: [string, Record<string, unknown>][], depth: number): Node {
  const keys: string[] = [];
  for (const [, row] of entries) {
    for (const key of Object.keys(row)) {
      if (!keys.includes(key)) {
        keys.push(key);
      }
    }
  }
  const table = el('table', 'nbgov-card-table nbgov-card-records');
  const head = el('tr');
  head.appendChild(el('th', undefined, 'Name'));
  for (const key of keys) {
    head.appendChild(el('th', undefined, humanize(key)));
  }
  for (const th of Array.from(head.children) as HTMLTableCellElement[]) {
    th.scope = 'col';
  }
  table.appendChild(el('thead')).appendChild(head);
  const body = el('tbody');
  for (const [name, row] of entries.slice(0, MAX_ROWS)) {
    const tr = el('tr');
    const th = el('th', undefined, name);
    th.scope = 'row';
    tr.appendChild(th);
    for (const key of keys) {
      const td = el('td');
      td.appendChild(valueView(row[key], depth + 1));
      tr.appendChild(td);
    }
    body.appendChild(tr);
  }
  table.appendChild(body);
  return withMore(table, entries.length);
}

function withMore(table: HTMLTableElement, total: number): Node {
  if (total <= MAX_ROWS) {
    return table;
  }
  const wrap = el('div');
  wrap.appendChild(table);
  wrap.appendChild(el('p', 'nbgov-card-more', `… and ${total - MAX_ROWS} more rows`));
  return wrap;
}
