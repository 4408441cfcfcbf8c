import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { DataError } from './errors.js'

/** How much of the start of a file is checked for signs of a binary file. */
const SNIFF_BYTES = 64 * 1024
/** Read size; larger than the 64 KiB default, fewer round trips through the parser. */
const CHUNK_BYTES = 256 * 1024

const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  ENOTDIR: 'no such file',
  EISDIR: 'is a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
}

export function cannotRead(label: string, err: unknown): DataError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  return new DataError(`${label}: cannot read (${(code && REASONS[code]) ?? code ?? String(err)})`)
}

/**
 * Fails with a DataError, before any parsing, when the path is missing or not a regular file: by
 * stat, since opening a FIFO with no writer blocks (beyond Ctrl-C) and a device never ends.
 */
export async function checkReadable(path: string, label: string): Promise<void> {
  let info: Awaited<ReturnType<typeof stat>>
  try {
    info = await stat(path)
  } catch (err) {
    throw cannotRead(label, err)
  }
  if (info.isDirectory()) throw new DataError(`${label}: cannot read (is a directory)`)
  if (!info.isFile())
    throw new DataError(`${label}: cannot read (not a regular file: a FIFO, a device or a socket)`)
}

/**
 * The file as UTF-8 text chunks, BOM removed. The first 64 KiB must be text (no NUL byte, valid
 * UTF-8), so that a PNG or a .gz named .csv gets one clear message instead of parser noise.
 */
export async function* textChunks(path: string, label: string, kind: string): AsyncGenerator<string> {
  // fatal: invalid bytes later in the file are an error, not a silent U+FFFD in a number.
  const decoder = new TextDecoder('utf-8', { fatal: true })
  const binary = (why = '') =>
    new DataError(`${label}: looks like a binary file, expected ${kind} text${why}`)
  let offset = 0
  let text: string
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: CHUNK_BYTES })) {
      const bytes = chunk as Buffer
      if (offset < SNIFF_BYTES && bytes.subarray(0, SNIFF_BYTES - offset).includes(0)) throw binary()
      try {
        text = decoder.decode(bytes, { stream: true })
      } catch {
        if (offset < SNIFF_BYTES) throw binary(' (not valid UTF-8: save it as UTF-8 if it is text)')
        throw new DataError(`${label}: not valid UTF-8 text after byte ${offset}, expected ${kind} text`)
      }
      offset += bytes.length
      if (text) yield text
    }
    text = decoder.decode()
  } catch (err) {
    if (err instanceof DataError) throw err
    if (err instanceof TypeError)
      throw new DataError(`${label}: the file ends inside a UTF-8 character, expected ${kind} text`)
    throw cannotRead(label, err)
  }
  if (text) yield text
}
