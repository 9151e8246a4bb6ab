import { stripVTControlCharacters } from 'node:util'
import {
  DefaultRenderer,
  Listr,
  ListrDefaultRendererLogLevels,
  ListrLogger,
  PRESET_TIMESTAMP,
  ProcessOutput,
} from 'listr2'
import type { ListrTask, ListrTaskWrapper } from 'listr2'

export type Wrapper = ListrTaskWrapper<unknown, never, never>

/** One row of the tree. Its text lives here because events can arrive before listr2 has started the row's task. */
export class Row {
  title?: string
  done = false
  #wrapper?: Wrapper
  #end!: (how: Ending) => void
  readonly #ended = new Promise<Ending>((resolve) => (this.#end = resolve))

  show(title: string): void {
    if (title === this.title) return
    this.title = title
    if (this.#wrapper) this.#wrapper.title = title
  }
  /** An empty title draws no line at all in listr2's default renderer. */
  hide(): void {
    this.show('')
  }
  attach(wrapper: Wrapper): void {
    this.#wrapper = wrapper
    if (this.title !== undefined) wrapper.title = this.title
  }
  /** Ends the row's task: completed (✔), or failed (✖) with `failure` printed under its title (none when empty). */
  end(failure?: string): void {
    this.done = true
    this.#end({ failure })
  }
  /** Ends the row as a warning (⚠), `note` under its title: not failed, not well either (unreachable, not run). */
  warn(note?: string): void {
    this.done = true
    this.#end({ warn: true, failure: note })
  }
  /** The task body: untitled (so hidden) until shown, settled by `end` or `warn`. */
  async run(wrapper: Wrapper): Promise<void> {
    this.attach(wrapper)
    const { failure, warn } = await this.#ended
    if (warn) return wrapper.skip(failure)
    if (failure !== undefined) throw new Error(failure)
  }
}

type Ending = { failure?: string; warn?: boolean }

// A row ended with `warn()` is a skipped task to listr2 (this tree skips nothing else): ⚠, its note under it as a
// failure's message is.
const icons = {
  [ListrDefaultRendererLogLevels.SKIPPED_WITHOUT_COLLAPSE]: '⚠',
  [ListrDefaultRendererLogLevels.SKIPPED_WITH_COLLAPSE]: '›',
}

const frameMs = 100

/** Where the live tree draws: the terminal stream itself (its size changes on SIGWINCH) and a write that bypasses
 * listr2's hold on stdout/stderr. */
interface Screen {
  stream: NodeJS.WritableStream & { columns?: number; rows?: number }
  write(text: string): void
}

/**
 * Draws frames in place. listr2's log-update counts the lines of the last frame at the width it was drawn at and reads
 * the width from a copy of the stream taken at the start, so after a resize it erases too few rows and old lines stay.
 * Here the last frame's rows are counted at the terminal's current width, as a terminal that reflows (tmux, VTE,
 * iTerm2, Windows Terminal) shows them, and erased row by row.
 */
class Painter {
  #widths: number[] = []
  #last = ''
  #columns = 0
  constructor(readonly screen: Screen) {}

  #rowsNow(columns: number): number {
    return this.#widths.reduce((n, w) => n + Math.max(1, Math.ceil(w / columns)), 0)
  }
  // line by line, from the cursor's row up: tmux copies the screen into its history on an erase to the end of the
  // screen from the top-left corner (scroll-on-clear), which would keep every frame there
  #erase(columns: number): string {
    const rows = this.#rowsNow(columns)
    return rows === 0 ? '' : `\x1b[2K${'\x1b[1A\x1b[2K'.repeat(rows)}\x1b[G`
  }
  paint(frame: string): void {
    const columns = Math.max(1, this.screen.stream.columns || 80)
    if (frame === this.#last && columns === this.#columns) return
    const lines = frame === '' ? [] : frame.split('\n')
    this.screen.write(this.#erase(columns) + lines.map((l) => l + '\n').join(''))
    this.#widths = lines.map((l) => stripVTControlCharacters(l).length)
    this.#last = frame
    this.#columns = columns
  }
  clear(): void {
    this.screen.write(this.#erase(Math.max(1, this.screen.stream.columns || 80)))
    this.#widths = []
    this.#last = ''
  }
}

/** listr2's default renderer, redrawing at most once a frame (dozens of VMs changing step would otherwise redraw the
 * whole tree on every event and starve the event loop the SSH sessions run on), in place even across resizes. */
function framedRenderer(screen: Screen) {
  return class FramedRenderer extends DefaultRenderer {
    #timer?: NodeJS.Timeout
    #last = 0
    readonly #painter = new Painter(screen)
    readonly #resized = () => this.update()

    override async render(): Promise<void> {
      await super.render()
      screen.stream.on('resize', this.#resized)
    }
    override update(): void {
      if (this.#timer) return
      const wait = this.#last + frameMs - Date.now()
      if (wait <= 0) return this.#draw()
      this.#timer = setTimeout(() => this.#draw(), wait)
    }
    #draw(): void {
      this.#timer = undefined
      this.#last = Date.now()
      this.#painter.paint(this.create())
    }
    override end(): void {
      clearTimeout(this.#timer)
      screen.stream.off('resize', this.#resized)
      this.#painter.clear()
      super.end()
    }
  }
}

export interface TreeOptions {
  stream: NodeJS.WritableStream
  verbose?: boolean
  renderer?: 'default' | 'simple' | 'test'
}

/** The tree's Listr, and whether it draws live (listr2 picked the framed default renderer: a TTY, no `-v`). Its tasks
 * are added once that is known, as a live tree and a log want different rows. */
export function newListr(
  tasks: (live: boolean) => ListrTask[],
  opts: TreeOptions,
): { listr: { run(): Promise<unknown> }; live: boolean } {
  const stream = opts.stream as NodeJS.WriteStream
  const processOutput = new ProcessOutput(stream, stream === process.stdout ? process.stderr : stream)
  const renderer = opts.renderer ?? 'default'
  const logger = new ListrLogger({ useIcons: renderer !== 'test', toStderr: [], processOutput })
  const Framed = framedRenderer({ stream, write: (text) => processOutput.stdout.write(text) })
  const listr = new Listr([], {
    concurrent: true, // the executor already bounds how many VMs run at once (--forks)
    exitOnError: false,
    registerSignalListeners: false, // Ctrl-C belongs to main.ts, not to the progress display
    renderer: renderer === 'default' ? Framed : renderer,
    rendererOptions: {
      logger,
      collapseSubtasks: true,
      showSubtasks: true,
      collapseErrors: false,
      clearOutput: false,
      collapseSkips: false,
      // one terminal row per line: the tree decides how many lines fit, so nothing may wrap
      formatOutput: 'truncate',
      icon: icons,
    },
    fallbackRenderer: opts.verbose ? 'verbose' : 'simple',
    fallbackRendererOptions: {
      logger,
      logTitleChange: true,
      timestamp: PRESET_TIMESTAMP,
    },
    fallbackRendererCondition: opts.verbose === true,
  } as ConstructorParameters<typeof Listr>[1])
  const live = listr.rendererClass === Framed
  listr.add(tasks(live))
  return { listr, live }
}
