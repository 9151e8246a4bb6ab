import { DefaultRenderer, Listr, ListrLogger, PRESET_TIMESTAMP, ProcessOutput } from 'listr2'
import type { ListrTask, ListrTaskWrapper } from 'listr2'

export type Wrapper = ListrTaskWrapper<unknown, never, never>

/** One row of the tree. Its text lives here because events can arrive before listr2 has started the row's task. */
export class Row {
  title?: string
  done = false
  #wrapper?: Wrapper
  #end!: (failure?: string) => void
  readonly #ended = new Promise<string | undefined>((resolve) => (this.#end = resolve))

  show(title: string): void {
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
  /** Ends the row's task: completed, or failed with `failure` printed under its title. */
  end(failure?: string): void {
    this.done = true
    this.#end(failure)
  }
  /** The task body: untitled (so hidden) until shown, settled by `end`. */
  async run(wrapper: Wrapper): Promise<void> {
    this.attach(wrapper)
    const failure = await this.#ended
    if (failure !== undefined) throw new Error(failure)
  }
}

const frameMs = 100

/** listr2's default renderer, redrawing at most once a frame: dozens of VMs changing step would otherwise redraw the
 * whole tree on every event and starve the event loop the SSH sessions run on. */
class FramedRenderer extends DefaultRenderer {
  #timer?: NodeJS.Timeout
  #last = 0

  override update(): void {
    if (this.#timer) return
    const wait = this.#last + frameMs - Date.now()
    if (wait <= 0) return this.#draw()
    this.#timer = setTimeout(() => this.#draw(), wait)
  }
  #draw(): void {
    this.#timer = undefined
    this.#last = Date.now()
    super.update()
  }
  override end(): void {
    clearTimeout(this.#timer)
    super.end()
  }
}

export interface TreeOptions {
  stream: NodeJS.WritableStream
  verbose?: boolean
  renderer?: 'default' | 'simple' | 'test'
}

/** The tree's Listr, and whether it draws live (listr2 picked the framed default renderer: a TTY, no `-v`). */
export function newListr(tasks: ListrTask[], opts: TreeOptions): { listr: { run(): Promise<unknown> }; live: boolean } {
  const stream = opts.stream as NodeJS.WriteStream
  const processOutput = new ProcessOutput(stream, stream === process.stdout ? process.stderr : stream)
  const renderer = opts.renderer ?? 'default'
  const logger = new ListrLogger({ useIcons: renderer !== 'test', toStderr: [], processOutput })
  const listr = new Listr(tasks, {
    concurrent: true, // the executor already bounds how many VMs run at once (--forks)
    exitOnError: false,
    registerSignalListeners: false, // Ctrl-C belongs to main.ts, not to the progress display
    renderer: renderer === 'default' ? FramedRenderer : renderer,
    rendererOptions: {
      logger,
      collapseSubtasks: true,
      showSubtasks: true,
      collapseErrors: false,
      clearOutput: false,
      formatOutput: 'wrap',
    },
    fallbackRenderer: opts.verbose ? 'verbose' : 'simple',
    fallbackRendererOptions: { logger, logTitleChange: true, timestamp: PRESET_TIMESTAMP },
    fallbackRendererCondition: opts.verbose === true,
  } as ConstructorParameters<typeof Listr>[1])
  return { listr, live: listr.rendererClass === FramedRenderer }
}
