/**
 * The long-lived python child process and its line protocol (see python/dualfit_torch.py).
 * Requests go one at a time, in call order; a request may exchange events with python before its
 * reply (training's per-epoch decisions). The process starts on the first request and holds the
 * Node event loop only while a request is in flight.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface, type Interface } from 'node:readline'

/** A reply or event from python: one JSON object. */
export type Message = Record<string, unknown>

/** Answers one event; `ask` sends a question about it to python and resolves with python's answer. */
export type EventHandler = (event: Message, ask: (question: Message) => Promise<Message>) => Promise<Message>

interface Pending {
  id: number
  msg: Message
  /** Answers an event (a line with this id that is neither a reply nor an error); may `ask` python first. */
  onEvent?: EventHandler
  /** Awaits python's answer to a question `ask` sent while an event is being answered. */
  waiter?: (answer: Message) => void
  /** Called when the request is written, i.e. once the process is up. */
  onSent?: () => void
  /** The TS side failed while answering an event: reject with this once python has ended. */
  failure?: unknown
  resolve: (reply: Message) => void
  reject: (err: unknown) => void
}

const STDERR_KEEP = 8192
const CLOSE_GRACE_MS = 5000
const DISPOSED = () => new Error('pytorch: the backend was disposed')

/** What stderr says, as one line: a traceback's last line (the exception), else the last few lines. */
function tailOf(stderr: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !/^[\^~]+$/.test(l))
  const traceback = lines.some((l) => l.startsWith('Traceback (most recent call last)'))
  const tail = (traceback ? lines.slice(-1) : lines.slice(-3)).join(' | ')
  return tail.length > 600 ? `...${tail.slice(-597)}` : tail
}

export class TorchProcess {
  private child: ChildProcessWithoutNullStreams | null = null
  private lines: Interface | null = null
  private ready = false
  private closing = false
  private stderr = ''
  private spawnError: NodeJS.ErrnoException | null = null
  private current: Pending | null = null
  private readonly queue: Pending[] = []
  private nextId = 1

  constructor(
    readonly python: string,
    readonly script: string,
  ) {}

  /** The child's process id while one runs. */
  get pid(): number | undefined {
    return this.child?.pid
  }

  /** Sends `msg` (an `op` and its fields) and resolves with python's `ok` reply. */
  request(msg: Message, handlers: { onEvent?: EventHandler; onSent?: () => void } = {}): Promise<Message> {
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, msg, ...handlers, resolve, reject })
      this.pump()
    })
  }

  /** Stops the request in flight at once (Ctrl-C mid-epoch): it rejects with `reason`; the next one restarts python. */
  abort(reason: unknown): void {
    if (!this.current || !this.child) return
    this.current.failure ??= reason
    this.child.kill('SIGKILL')
  }

  /** Ends the process (and only it); pending requests are rejected. Resolves once it has exited. */
  async close(): Promise<void> {
    const child = this.child
    if (!child) return
    this.closing = true
    const closed = once(child, 'close').catch(() => undefined)
    // python exits at the end of stdin, also in the middle of training.
    child.stdin.end()
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<'late'>((r) => {
      timer = setTimeout(() => r('late'), CLOSE_GRACE_MS)
    })
    if ((await Promise.race([closed, late])) === 'late') {
      child.kill('SIGKILL')
      await closed
    }
    clearTimeout(timer)
    this.finish(child, DISPOSED())
  }

  private start(): ChildProcessWithoutNullStreams {
    this.ready = false
    this.closing = false
    this.stderr = ''
    this.spawnError = null
    const child = spawn(this.python, [this.script], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' },
      windowsHide: true,
    })
    this.child = child
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-STDERR_KEEP)
    })
    // Writes after the process died fail with EPIPE; 'close' reports the death itself.
    child.stdin.on('error', () => {})
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (child.pid === undefined && this.child === child) {
        // It never started (e.g. ENOENT): no 'close' is guaranteed to follow.
        this.spawnError = err
        this.finish(child, this.deathError(null, null))
      }
    })
    child.on('close', (code, signal) => {
      if (this.child === child) this.finish(child, this.deathError(code, signal))
    })
    this.lines = createInterface({ input: child.stdout, crlfDelay: Number.POSITIVE_INFINITY })
    this.lines.on('line', (line) => this.onLine(child, line))
    return child
  }

  private deathError(code: number | null, signal: NodeJS.Signals | null): Error {
    if (this.closing) return DISPOSED()
    const err = this.spawnError
    if (err?.code === 'ENOENT') return new Error(`pytorch: no python at ${this.python} (set DUALFIT_PYTHON)`)
    if (err) return new Error(`pytorch: cannot start ${this.python}: ${err.message}`)
    const tail = tailOf(this.stderr)
    if (/^ModuleNotFoundError: No module named 'torch'/.test(tail)) {
      return new Error(`pytorch: PyTorch is not installed for ${this.python} (apt-get install python3-torch)`)
    }
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`
    return new Error(`pytorch: the python process (${this.python}) ${how}${tail ? `: ${tail}` : ''}`)
  }

  /** The process is gone: reject the request in flight and every queued one. */
  private finish(child: ChildProcessWithoutNullStreams, error: Error): void {
    if (this.child !== child) return
    this.child = null
    this.ready = false
    this.lines?.close()
    this.lines = null
    child.stdout.destroy()
    child.stderr.destroy()
    child.stdin.destroy()
    const pending = [...(this.current ? [this.current] : []), ...this.queue.splice(0)]
    this.current = null
    for (const p of pending) p.reject(p.failure ?? error)
  }

  private onLine(child: ChildProcessWithoutNullStreams, line: string): void {
    if (this.child !== child) return
    let msg: Message
    try {
      msg = JSON.parse(line) as Message
    } catch {
      this.protocolError(child, `not a JSON line: ${line.slice(0, 200)}`)
      return
    }
    if (!this.ready) {
      if (msg.ready !== true) {
        this.protocolError(child, `expected the ready line, got ${line.slice(0, 200)}`)
        return
      }
      this.ready = true
      this.pump()
      return
    }
    const p = this.current
    if (!p || msg.id !== p.id) {
      this.protocolError(
        child,
        `a line for request ${JSON.stringify(msg.id)}, none of ours: ${line.slice(0, 200)}`,
      )
      return
    }
    if (msg.ok === true || msg.ok === false) {
      this.current = null
      if (p.failure !== undefined) p.reject(p.failure)
      else if (msg.ok) p.resolve(msg)
      // Closing stdin ends a training in python with an error of its own: report the dispose.
      else p.reject(this.closing ? DISPOSED() : new Error(`pytorch: ${String(msg.error)}`))
      this.pump()
      return
    }
    const waiter = p.waiter
    if (waiter) {
      p.waiter = undefined
      waiter(msg)
      return
    }
    void this.answer(child, p, msg, line)
  }

  private async answer(child: ChildProcessWithoutNullStreams, p: Pending, msg: Message, line: string) {
    const send = (m: Message) => {
      if (this.child === child) child.stdin.write(`${JSON.stringify({ id: p.id, ...m })}\n`)
    }
    let answer: Message
    try {
      if (p.failure !== undefined || !p.onEvent)
        throw p.failure ?? new Error(`pytorch: unexpected event ${line}`)
      answer = await p.onEvent(msg, (question) => {
        const reply = new Promise<Message>((resolve) => {
          p.waiter = resolve
        })
        send(question)
        return reply
      })
    } catch (err) {
      p.failure = err
      answer = { stop: true, abort: true }
    }
    send(answer)
  }

  private protocolError(child: ChildProcessWithoutNullStreams, what: string): void {
    const error = new Error(`pytorch: protocol error: ${what}`)
    for (const p of [...(this.current ? [this.current] : []), ...this.queue]) p.failure ??= error
    child.kill('SIGKILL')
  }

  /** Sends the next queued request when the process is up and idle; holds the event loop only while busy. */
  private pump(): void {
    if (this.current) return
    const next = this.queue.shift()
    if (!next) {
      this.hold(false)
      return
    }
    const child = this.child ?? this.start()
    this.hold(true)
    if (!this.ready) {
      this.queue.unshift(next)
      return
    }
    this.current = next
    child.stdin.write(`${JSON.stringify({ id: next.id, ...next.msg })}\n`)
    next.onSent?.()
  }

  private hold(busy: boolean): void {
    const child = this.child
    if (!child) return
    for (const h of [child, child.stdin, child.stdout, child.stderr] as { ref(): void; unref(): void }[]) {
      if (busy) h.ref()
      else h.unref()
    }
  }
}
