/**
 * Training and inference throughput of the 3D DenseNet on every available TensorFlow.js backend,
 * one process per backend, next to the same network in PyTorch CPU (bench/densenet_torch.py,
 * Debian's python3-torch) with 1 and with all threads, run in the same invocation; then one
 * network split over K data-parallel replica threads (K = 1, 2, ... up to the core count, each in
 * a process of its own for its peak memory), and the two-process setup of TCGM (one modality
 * worker per network, both stepping at once).
 *
 *   node --import tsx bench/densenet-bench.ts [--preset small] [--crop 21x25x24] [--input 17x21x20]
 *        [--batch 4] [--steps 5] [--warmup 2] [--cpu-steps 1] [--replicas 1,2,4]
 *        [--skip cpu,wasm,webgpu,torch,pair,replicas]
 *
 * Defaults: the small preset at the demo's crop (2 mm hippocampus boxes + 2-voxel margin:
 * 21x25x24, two channels) with its default 17x21x20 input. The machine may be shared: the load
 * average is printed, and CPU time per step is reported next to wall time.
 */
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import * as tf from '@tensorflow/tfjs'
import { describeBackends } from '../src-main/engine/backend/candidates'
import { chooseBackend } from '../src-main/engine/backend/choose'
import { countParameters } from '../src-main/engine/model/densenet'
import { resolveConfig } from '../src-main/engine/model/config'
import type { CropDataset } from '../src-main/engine/model/crops'
import { createImageModalityModel, type ImageModelOptions } from '../src-main/engine/model/image-model'
import { createRemoteImageModalityModel } from '../src-main/engine/model/remote-model'
import { createDataParallelImageModel } from '../src-main/engine/model/parallel/data-parallel-model'
import { SeededRandom } from '../src-main/domain/random/mulberry32'
import type { ModalityModel } from '../src-main/engine/train/modality-model'

interface Args {
  preset: string
  crop: [number, number, number]
  input: [number, number, number]
  batch: number
  steps: number
  warmup: number
  cpuSteps: number
  replicas: number[]
  skip: string[]
  child: string | null
}

function parseArgs(argv: string[]): Args {
  const get = (name: string, dflt: string) => {
    const i = argv.indexOf(`--${name}`)
    return i >= 0 && argv[i + 1] ? argv[i + 1] : dflt
  }
  const triple = (s: string) => {
    const v = s.split('x').map(Number)
    if (v.length !== 3 || !v.every((n) => Number.isInteger(n) && n > 0)) throw new Error(`densenet-bench: '${s}' is not a size like 21x25x24`)
    return v as [number, number, number]
  }
  return {
    preset: get('preset', 'small'),
    crop: triple(get('crop', '21x25x24')),
    input: triple(get('input', '17x21x20')),
    batch: Number(get('batch', '4')),
    steps: Number(get('steps', '5')),
    warmup: Number(get('warmup', '2')),
    cpuSteps: Number(get('cpu-steps', '1')),
    replicas: get('replicas', replicaCounts(cpus().length).join(',')).split(',').map(Number),
    skip: get('skip', '').split(',').filter(Boolean),
    child: argv.includes('--child') ? get('child', '') : null
  }
}

/** 1, 2, 4, ... up to the core count, and the core count itself. */
function replicaCounts(cores: number): number[] {
  const out: number[] = []
  for (let k = 1; k < cores; k *= 2) out.push(k)
  return [...out, cores]
}

interface Measure {
  label: string
  trainMsPerStep: number
  trainCpuMsPerStep: number | null
  trainSamplesPerSec: number
  inferSamplesPerSec: number | null
  peakRssMB: number | null
  note?: string
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

function syntheticCrops(args: Args, n: number): CropDataset {
  const rng = new SeededRandom(1)
  const size = 2 * args.crop[0] * args.crop[1] * args.crop[2]
  return { dims: args.crop, channels: 2, samples: Array.from({ length: n }, () => Float32Array.from({ length: size }, () => rng.normal())) }
}

function modelOptions(args: Args, modality: string): ImageModelOptions {
  return { modality, numClasses: 2, preset: args.preset, crops: syntheticCrops(args, 2 * args.batch), inputSize: args.input, seed: 1 }
}

const batchOf = (args: Args, step: number) => Array.from({ length: args.batch }, (_, i) => (step + i) % (2 * args.batch))
const labelsOf = (batch: number[]) => batch.map((i) => i % 2)

/** Times `fn` after warm-up; returns median wall and CPU milliseconds. */
async function timeSteps(steps: number, warmup: number, fn: (step: number) => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  for (let s = 0; s < warmup; s++) await fn(s)
  const wall: number[] = []
  const cpu: number[] = []
  for (let s = 0; s < steps; s++) {
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    await fn(warmup + s)
    wall.push(performance.now() - t0)
    const c = process.cpuUsage(c0)
    cpu.push((c.user + c.system) / 1000)
  }
  return { wall: median(wall), cpu: median(cpu) }
}

/** CPU time (user + system) used so far by another process (Linux), ms; null elsewhere. */
function cpuMsOf(pid: number | undefined): number | null {
  if (pid === undefined || !existsSync(`/proc/${pid}/stat`)) return null
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  const ticksPerSecond = 100 // USER_HZ on Linux
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond
}

/** Peak resident memory of another process (Linux), MB. */
function peakRssOf(pid: number | undefined): number | null {
  if (pid === undefined || !existsSync(`/proc/${pid}/status`)) return null
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) / 1024 : null
}

/** Child mode 'replicas:K': one network over K replica threads on wasm, CE steps. CPU time is
 *  the whole process's (every thread), per step. */
async function runReplicasChild(args: Args, k: number): Promise<void> {
  await chooseBackend('wasm', undefined, {})
  const opts = { ...modelOptions(args, 'mri'), backend: 'wasm' }
  const model = k > 1 ? await createDataParallelImageModel(opts, k) : await createImageModalityModel(opts)
  const train = await timeSteps(args.steps, args.warmup, (s) => model.ceStep(batchOf(args, s), labelsOf(batchOf(args, s)), 1e-3))
  const infer = await timeSteps(args.steps, 1, (s) => model.predictLogProbs(batchOf(args, s)))
  await model.dispose()
  const result: Measure = {
    label: `tfjs wasm, ${k} replica${k > 1 ? ' threads' : ' (in process)'}`,
    trainMsPerStep: train.wall,
    trainCpuMsPerStep: train.cpu,
    trainSamplesPerSec: (1000 * args.batch) / train.wall,
    inferSamplesPerSec: (1000 * args.batch) / infer.wall,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    note: 'CPU ms of all threads'
  }
  console.log(`RESULT ${JSON.stringify(result)}`)
}

/** Child mode: one backend in this process (its own peak memory). */
async function runChild(args: Args, backend: string): Promise<void> {
  if (backend.startsWith('replicas:')) return runReplicasChild(args, Number(backend.slice('replicas:'.length)))
  const chosen = await chooseBackend(backend, undefined, {})
  if (chosen.name !== backend) throw new Error(`backend ${backend} unavailable: ${chosen.reason}`)
  const steps = backend === 'cpu' ? args.cpuSteps : args.steps
  const warmup = backend === 'cpu' ? 1 : args.warmup
  const model = await createImageModalityModel(modelOptions(args, 'mri'))
  const train = await timeSteps(steps, warmup, (s) => model.ceStep(batchOf(args, s), labelsOf(batchOf(args, s)), 1e-3))
  const infer = await timeSteps(steps, 1, (s) => model.predictLogProbs(batchOf(args, s)))
  const tensors = tf.memory().numTensors
  await model.dispose()
  const result: Measure = {
    label: `tfjs ${backend} / ${model.info().implementation}`,
    trainMsPerStep: train.wall,
    trainCpuMsPerStep: train.cpu,
    trainSamplesPerSec: (1000 * args.batch) / train.wall,
    inferSamplesPerSec: (1000 * args.batch) / infer.wall,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    note: `${tensors} live tensors`
  }
  console.log(`RESULT ${JSON.stringify(result)}`)
}

function runChildProcess(args: Args, backend: string): Promise<Measure> {
  return new Promise((resolve, reject) => {
    const argv = ['--import', 'tsx', __filename, ...process.argv.slice(2), '--child', backend]
    const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, LOG_LEVEL: 'warn' } })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '))
      if (code === 0 && line) resolve(JSON.parse(line.slice(7)) as Measure)
      else reject(new Error(`densenet-bench child for ${backend} exited with code ${code}: ${out.slice(-500)}`))
    })
  })
}

/** The TCGM setup: two modality workers, both stepping at once, sharing the cores (each splits
 *  its network over cores/2 replicas; one each on 2 cores). */
async function runPairs(args: Args): Promise<Measure[]> {
  const models: ModalityModel[] = await Promise.all(
    ['mri', 'pet'].map((m) => createRemoteImageModalityModel({ ...modelOptions(args, m), backend: 'wasm', networks: 2 }))
  )
  const pids = models.map((m) => (m as unknown as { pid?: number }).pid)
  const workersCpu = () => pids.map(cpuMsOf).reduce<number | null>((a, b) => (a === null || b === null ? null : a + b), 0)
  const ceSteps = (s: number) => Promise.all(models.map((m) => m.ceStep(batchOf(args, s), labelsOf(batchOf(args, s)), 1e-3)))
  for (let s = 0; s < args.warmup; s++) await ceSteps(s)
  const cpu0 = workersCpu()
  const ce = await timeSteps(args.steps, 0, (s) => ceSteps(args.warmup + s))
  const cpu1 = workersCpu()
  // Mean CPU per step of one worker (both work at once): comparable with the single process.
  const ceCpu = cpu0 !== null && cpu1 !== null ? (cpu1 - cpu0) / args.steps / 2 : null
  const tc = await timeSteps(args.steps, 1, async (s) => {
    const logHs = await Promise.all(models.map((m) => m.tcForward(batchOf(args, s))))
    await Promise.all(
      models.map((m, i) =>
        m.tcBackward(
          logHs[1 - i].map((v) => 0.01 * v),
          1e-3
        )
      )
    )
  })
  const infer = await timeSteps(args.steps, 1, (s) => Promise.all(models.map((m) => m.predictLogProbs(batchOf(args, s)))))
  const rss = pids.map(peakRssOf)
  const peak = rss.every((r) => r !== null) ? (rss as number[]).reduce((a, b) => a + b, 0) : null
  await Promise.all(models.map((m) => m.dispose()))
  return [
    {
      label: 'tfjs wasm x2 modality workers, CE steps',
      trainMsPerStep: ce.wall,
      trainCpuMsPerStep: ceCpu,
      trainSamplesPerSec: (2000 * args.batch) / ce.wall,
      inferSamplesPerSec: (2000 * args.batch) / infer.wall,
      peakRssMB: peak,
      note: 'samples/s of both workers together; CPU ms per worker'
    },
    {
      label: 'tfjs wasm x2 modality workers, TC exchange',
      trainMsPerStep: tc.wall,
      trainCpuMsPerStep: null,
      trainSamplesPerSec: (2000 * args.batch) / tc.wall,
      inferSamplesPerSec: null,
      peakRssMB: peak,
      note: 'tcForward x2 || tcBackward x2 (forward recomputed)'
    }
  ]
}

function runTorch(args: Args, threads: number): Measure | null {
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3'
  const config = resolveConfig(args.preset, 2, 2)
  try {
    const out = execFileSync(
      python,
      [
        `${__dirname}/densenet_torch.py`,
        '--config',
        JSON.stringify(config),
        '--input',
        args.input.join('x'),
        '--batch',
        String(args.batch),
        '--steps',
        String(args.steps),
        '--warmup',
        String(args.warmup),
        '--threads',
        String(threads)
      ],
      { encoding: 'utf8' }
    )
    const r = JSON.parse(out.trim().split('\n').pop()!) as Measure & { params: number; torch: string }
    if (r.params !== countParameters(config)) throw new Error(`PyTorch network has ${r.params} parameters, TensorFlow.js ${countParameters(config)}`)
    return { ...r, label: `PyTorch ${r.torch} CPU, ${threads} thread${threads > 1 ? 's' : ''}` }
  } catch (e) {
    console.error(`PyTorch anchor skipped: ${(e as Error).message.split('\n')[0]}`)
    return null
  }
}

const fmt = (v: number | null, digits = 1) => (v === null ? '-' : v.toFixed(digits))

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  if (args.child !== null) return runChild(args, args.child)

  const config = resolveConfig(args.preset, 2, 2)
  const load0 = loadavg()
  console.log(
    `3D DenseNet '${args.preset}' (${countParameters(config)} parameters), crop ${args.crop.join('x')} x2 channels, input ${args.input.join('x')}, batch ${args.batch}, ${args.steps} timed steps after ${args.warmup} warm-up`
  )
  console.log(`machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), Node ${process.version}, load average ${load0.map((l) => l.toFixed(2)).join(' ')}`)

  const info = await describeBackends(undefined, undefined, {})
  const backends = info.tried.filter((t) => t.available && !args.skip.includes(t.name)).map((t) => t.name)
  for (const t of info.tried.filter((t) => !t.available)) console.log(`  ${t.name}: not measured (${t.detail})`)

  const rows: Measure[] = []
  for (const b of backends) {
    try {
      rows.push(await runChildProcess(args, b))
    } catch (e) {
      console.error((e as Error).message)
    }
  }
  const replicaRows: Measure[] = []
  if (!args.skip.includes('replicas') && info.tried.some((t) => t.name === 'wasm' && t.available)) {
    for (const k of args.replicas) {
      try {
        replicaRows.push(await runChildProcess(args, `replicas:${k}`))
      } catch (e) {
        console.error((e as Error).message)
      }
    }
  }
  rows.push(...replicaRows)
  if (!args.skip.includes('pair') && backends.includes('wasm')) rows.push(...(await runPairs(args)))
  const cores = cpus().length
  const torchRows = args.skip.includes('torch') ? [] : [...new Set([cores, 1])].map((t) => runTorch(args, t)).filter((r): r is Measure => r !== null)
  rows.push(...torchRows)

  const anchor = torchRows[0] ?? null
  console.log('')
  console.log(`| implementation | train ms/step | train CPU ms/step | train samples/s | infer samples/s | peak RSS MB | train vs PyTorch ${cores} thr | note |`)
  console.log('|---|---|---|---|---|---|---|---|')
  for (const r of rows) {
    const ratio = anchor ? (r.trainSamplesPerSec / anchor.trainSamplesPerSec).toFixed(2) : '-'
    console.log(
      `| ${r.label} | ${fmt(r.trainMsPerStep, 0)} | ${fmt(r.trainCpuMsPerStep, 0)} | ${fmt(r.trainSamplesPerSec, 2)} | ${fmt(r.inferSamplesPerSec, 1)} | ${fmt(r.peakRssMB, 0)} | ${ratio} | ${r.note ?? ''} |`
    )
  }
  const single = rows.find((r) => r.label.startsWith('tfjs wasm /'))
  const pair = rows.find((r) => r.label.startsWith('tfjs wasm x2 modality workers, CE'))
  if (single && pair)
    console.log(`\ntwo-process speed-up over one process (CE steps, wasm): ${(pair.trainSamplesPerSec / single.trainSamplesPerSec).toFixed(2)}x`)
  if (pair && anchor)
    console.log(`goal (wasm, both cores) >= 0.5x PyTorch CPU 2 threads: ${(pair.trainSamplesPerSec / anchor.trainSamplesPerSec).toFixed(2)}x (wall clock)`)
  // Wall clock is meaningless on a saturated machine; CPU time per step is not (single thread).
  const torch1 = torchRows.find((r) => r.label.endsWith('1 thread'))
  const torchAll = torchRows.find((r) => r.label.endsWith(`${cores} threads`))
  if (torch1 && torchAll) {
    const s = torchAll.trainSamplesPerSec / torch1.trainSamplesPerSec
    console.log(
      `PyTorch ${cores} threads vs 1: ${s.toFixed(2)}x${s < 1 + 0.3 * (cores - 1) ? ' - NOT clearly faster: the machine is loaded, do not trust wall-clock ratios of this run' : ''}`
    )
  }
  const r1 = replicaRows.find((r) => r.label.includes(', 1 replica'))
  for (const r of replicaRows.filter((x) => x !== r1)) {
    const k = Number(/, (\d+) replica/.exec(r.label)?.[1])
    if (r1)
      console.log(
        `replicas ${k} vs 1: ${(r.trainSamplesPerSec / r1.trainSamplesPerSec).toFixed(2)}x samples/s (goal >= ${(0.8 * Math.min(k, cores)).toFixed(1)}x); CPU ms per step ${fmt(r.trainCpuMsPerStep, 0)} vs ${fmt(r1.trainCpuMsPerStep, 0)}`
      )
  }
  if (single?.trainCpuMsPerStep && torch1?.trainCpuMsPerStep) {
    console.log(
      `per core, by CPU time per training step: tfjs wasm ${single.trainCpuMsPerStep.toFixed(0)} ms, PyTorch 1 thread ${torch1.trainCpuMsPerStep.toFixed(0)} ms: ${(torch1.trainCpuMsPerStep / single.trainCpuMsPerStep).toFixed(2)}x PyTorch's speed`
    )
  }
  console.log(
    `load average at the end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`
  )
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e)
  process.exit(1)
})
