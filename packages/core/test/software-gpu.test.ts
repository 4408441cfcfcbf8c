import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { softwareGpu } from '../src/index.js'

const dir = mkdtempSync(join(tmpdir(), 'dualfit-icd-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** An ICD manifest naming `library`, as the Vulkan loader reads one. */
function icd(name: string, library: string): string {
  const f = join(dir, name)
  writeFileSync(
    f,
    JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: library, api_version: '1.3.0' } }),
  )
  return f
}

const swiftshader = icd('vk_swiftshader_icd.json', './libvk_swiftshader.so')
const lavapipe = icd('lvp_icd.x86_64.json', '/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so')
const nvidia = icd('nvidia_icd.json', 'libGLX_nvidia.so.0')
const empty = join(dir, 'empty')
mkdirSync(empty)

describe.skipIf(process.platform !== 'linux')('softwareGpu', () => {
  it('names the software driver when every driver the loader would load is one', () => {
    expect(softwareGpu({ VK_ICD_FILENAMES: swiftshader, XDG_DATA_DIRS: empty })).toBe('SwiftShader')
    expect(softwareGpu({ VK_DRIVER_FILES: `${lavapipe}:${swiftshader}` })).toBe('lavapipe')
  })

  it('is null when a hardware driver is there, or none is', () => {
    expect(softwareGpu({ VK_ICD_FILENAMES: `${swiftshader}:${nvidia}` })).toBeNull()
    expect(softwareGpu({ VK_ICD_FILENAMES: swiftshader, VK_ADD_DRIVER_FILES: nvidia })).toBeNull()
    expect(softwareGpu({ VK_ICD_FILENAMES: join(dir, 'missing.json') })).toBeNull()
    expect(softwareGpu({ VK_ICD_FILENAMES: empty })).toBeNull()
  })

  it('prefers VK_DRIVER_FILES to VK_ICD_FILENAMES', () => {
    expect(softwareGpu({ VK_DRIVER_FILES: nvidia, VK_ICD_FILENAMES: swiftshader })).toBeNull()
    expect(softwareGpu({ VK_DRIVER_FILES: swiftshader, VK_ICD_FILENAMES: nvidia })).toBe('SwiftShader')
  })

  // /etc/vulkan/icd.d is searched too, and cannot be moved: where it holds drivers, they decide.
  const etcDrivers = existsSync('/etc/vulkan/icd.d') && readdirSync('/etc/vulkan/icd.d').length > 0
  it.skipIf(etcDrivers)('reads the search folders when no variable names the drivers', () => {
    const folder = join(dir, 'share')
    mkdirSync(join(folder, 'vulkan/icd.d'), { recursive: true })
    writeFileSync(
      join(folder, 'vulkan/icd.d/sw.json'),
      JSON.stringify({ ICD: { library_path: `${dir}/libvk_swiftshader.so` } }),
    )
    const env = { XDG_CONFIG_DIRS: empty, XDG_DATA_HOME: empty, XDG_DATA_DIRS: folder }
    expect(softwareGpu(env)).toBe('SwiftShader')
    expect(softwareGpu({ ...env, XDG_DATA_DIRS: `${folder}:/usr/share` })).toBe(
      existsSync('/usr/share/vulkan/icd.d') ? null : 'SwiftShader',
    )
  })
})
