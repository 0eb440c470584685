/** Handlers of the study workflow (contracts/study.ts); the work is in src-main/study, demo, export. */
import { join, resolve } from 'node:path'
import type { StudyRequestName } from '../contracts/study'
import { DEMO_VISIBLE_LABEL_RATE } from '../../domain/study-settings'
import type { HandlerContext, PartialHandlerTable } from '../handler-types'
import { generateDemoCohort } from '../../demo/cohort'
import { exportRun } from '../../export'
import { recordRecentStudy } from '../../settings/recent-studies'
import { planImport } from '../../study/import'
import { runImport } from '../../study/import/run'
import { scanHeaderProblems } from '../../study/import/scan-check'
import { importLabelFile } from '../../study/label-import'
import { parallelImport } from '../../study/import/preprocess-pool'
import { savedRunTables } from '../../runs/folder'
import { getRunDetail, listRuns } from '../../runs/read'
import { resumeStudyRun, trainStudy } from '../../runs/train'
import { studySummary, listSubjects, subjectDetail, visibleHistory } from '../../viewer/subjects'
import {
  createStudy,
  loadStudy,
  makeStudySplits,
  placeNewSubjectsInSplit,
  redoLabel,
  repairStudy,
  revealHiddenLabels,
  setLabel,
  simulateLabelRate,
  undoLabel,
  updateSettings
} from '../../study/study'

function changed(ctx: HandlerContext, study: string, what: 'subjects' | 'labels' | 'splits' | 'runs' | 'settings'): void {
  ctx.emit('study.changed', { study: resolve(study), what })
}

async function opened(ctx: HandlerContext, study: string) {
  const notices = await repairStudy(study)
  const summary = { ...(await studySummary(study)), ...(notices.length ? { notices } : {}) }
  await recordRecentStudy(ctx.userDataDir, { path: summary.path, name: summary.name }).catch(() => undefined)
  return summary
}

export const studyHandlers: PartialHandlerTable<StudyRequestName> = {
  'study.createDemo': async (args, ctx) => {
    const parent = resolve(args.folder ?? join(ctx.userDataDir, 'studies'))
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)
    const folder = join(parent, `demo-${stamp}`)
    const jobId = ctx.jobs.start('study.createDemo', async (job) => {
      const cohort = join(folder, 'cohort')
      const study = join(folder, 'study')
      await generateDemoCohort(
        cohort,
        { subjects: args.subjects ?? 120, seed: args.seed ?? 1 },
        {
          signal: job.signal,
          onProgress: (f, m) => job.progress(0.4 * f, m)
        }
      )
      await createStudy(study, { name: `Demo cohort (${args.subjects ?? 120} subjects)` })
      const { preprocessor, concurrency } = parallelImport()
      const r = await runImport(study, preprocessor, {
        source: cohort,
        concurrency,
        signal: job.signal,
        onProgress: (f, m) => job.progress(f === null ? null : 0.4 + 0.6 * f, m)
      })
      // The collection CSV carries every diagnosis: keep the few-labels setting the app is for,
      // with the hidden diagnoses kept for evaluation (Label view: "Keep N% visible" changes it).
      const rate = args.visibleRate ?? DEMO_VISIBLE_LABEL_RATE
      const labels = rate < 1 ? await simulateLabelRate(study, rate, args.seed ?? 1) : { visible: (await loadStudy(study)).labels.size, hidden: 0 }
      changed(ctx, study, 'subjects')
      return { study, cohort, import: { ...r, summary: await opened(ctx, study) }, labels: { visible: labels.visible, hidden: labels.hidden } }
    })
    return { jobId }
  },

  'study.create': async ({ folder, name, classNames }, ctx) => {
    const s = await createStudy(folder, { name, classNames })
    return opened(ctx, s.dir)
  },

  'study.open': async ({ study }, ctx) => opened(ctx, study),

  'study.settings': async ({ study, classNames, visit }, ctx) => {
    await updateSettings(study, { classNames, visit })
    changed(ctx, study, 'settings')
    return studySummary(study)
  },

  'import.preview': async (args) => {
    const visit = args.visit ?? (args.study ? (await loadStudy(args.study)).file.settings.visit : 'bl')
    const plan = await planImport(args.source, args.layout, {
      visit,
      collectionCsv: args.collectionCsv,
      adnimerge: args.adnimerge,
      modalityOverrides: args.modalityOverrides
    })
    const known = args.study ? new Set((await loadStudy(args.study)).file.subjects.map((x) => x.id)) : new Set<string>()
    // What the import would refuse that a header already shows (format, datatype, MNI space).
    const headerProblems = await scanHeaderProblems(plan.subjects.flatMap((x) => [x.smri?.path, x.pet?.path].filter((f): f is string => Boolean(f))))
    const scanProblems = plan.subjects.flatMap((x) =>
      (['smri', 'pet'] as const).flatMap((m) => {
        const f = x[m]?.path
        const why = f ? headerProblems.get(f) : undefined
        return f && why ? [{ file: f, severity: 'error' as const, message: `${x.id} ${m === 'smri' ? 'sMRI' : 'PET'} will be skipped: ${why}` }] : []
      })
    )
    return {
      source: plan.source,
      layout: plan.layout,
      visit: plan.visit,
      visits: plan.visits,
      series: plan.series,
      inputs: plan.inputs,
      subjects: plan.subjects.map((x) => ({
        id: x.id,
        visits: x.visits,
        smri: x.smri?.path ?? null,
        pet: x.pet?.path ?? null,
        group: x.group,
        known: known.has(x.id),
        smriProblem: x.smri ? (headerProblems.get(x.smri.path) ?? null) : null,
        petProblem: x.pet ? (headerProblems.get(x.pet.path) ?? null) : null
      })),
      counts: {
        subjects: plan.subjects.length,
        withSmri: plan.subjects.filter((x) => x.smri).length,
        withPet: plan.subjects.filter((x) => x.pet).length,
        new: plan.subjects.filter((x) => !known.has(x.id)).length
      },
      problems: [...plan.problems, ...scanProblems]
    }
  },

  'import.run': async ({ study, ...opts }, ctx) => {
    await loadStudy(study) // refuse at once when the folder is not a study
    const jobId = ctx.jobs.start('import.run', async (job) => {
      // One scan per core, each in a worker process (closed by runImport when the job ends).
      const { preprocessor, concurrency } = parallelImport()
      const r = await runImport(study, preprocessor, { ...opts, concurrency, signal: job.signal, onProgress: (f, m) => job.progress(f, m) })
      changed(ctx, study, 'subjects')
      return { ...r, summary: await studySummary(study) }
    })
    return { jobId }
  },

  'subjects.list': async ({ study, runId }) => listSubjects(study, runId),

  'subject.detail': async ({ study, subject }) => subjectDetail(study, subject),

  'labels.set': async ({ study, subject, label }, ctx) => {
    const r = await setLabel(study, subject, label)
    changed(ctx, study, 'labels')
    return r
  },

  'labels.clear': async ({ study, subject }, ctx) => {
    const r = await setLabel(study, subject, null)
    changed(ctx, study, 'labels')
    return r
  },

  'labels.undo': async ({ study }, ctx) => {
    const r = await undoLabel(study)
    if (r) changed(ctx, study, 'labels')
    return { undone: r?.undone ?? null, change: r?.change ?? null }
  },

  'labels.redo': async ({ study }, ctx) => {
    const r = await redoLabel(study)
    if (r) changed(ctx, study, 'labels')
    return { redone: r?.redone ?? null, change: r?.change ?? null }
  },

  'labels.revealHidden': async ({ study }) => {
    const r = await revealHiddenLabels(study)
    return { time: r.time, subjects: [...r.labels].map(([id, label]) => ({ id, label, group: r.groups.get(id) ?? null })) }
  },

  'labels.history': async ({ study, subject, limit }) => {
    const s = await loadStudy(study)
    const events = visibleHistory(
      s,
      s.events.filter((e) => !subject || e.subject === subject)
    ).reverse()
    return limit ? events.slice(0, limit) : events
  },

  'labels.simulateRate': async ({ study, rate, seed }, ctx) => {
    const r = await simulateLabelRate(study, rate, seed)
    changed(ctx, study, 'labels')
    return r
  },

  'labels.importFile': async ({ study, file, format, mci }, ctx) => {
    const r = await importLabelFile(study, file, { format, mci })
    changed(ctx, study, 'labels')
    return r
  },

  'splits.make': async ({ study, seed, fractions }, ctx) => {
    const r = await makeStudySplits(study, seed, fractions)
    changed(ctx, study, 'splits')
    return r
  },

  'splits.place': async ({ study }, ctx) => {
    const r = await placeNewSubjectsInSplit(study)
    changed(ctx, study, 'splits')
    return r
  },

  'training.start': async ({ study, ...options }, ctx) => {
    await loadStudy(study)
    const jobId = ctx.jobs.start('training', async (job) => {
      const r = await trainStudy(study, options, {
        signal: job.signal,
        onCreated: () => changed(ctx, study, 'runs'),
        onProgress: (f, m, d) => job.progress(f, m, d)
      })
      changed(ctx, study, 'runs')
      return r
    })
    return { jobId }
  },

  'training.resume': async ({ study, runId }, ctx) => {
    const jobId = ctx.jobs.start('training', async (job) => {
      const r = await resumeStudyRun(study, runId, { signal: job.signal, onProgress: (f, m, d) => job.progress(f, m, d) })
      changed(ctx, study, 'runs')
      return r
    })
    return { jobId }
  },

  'runs.list': async ({ study }) => listRuns(study),

  'runs.get': async ({ study, runId }) => getRunDetail(study, runId),

  'export.run': async ({ study, runId, out }, ctx) => {
    const detail = await getRunDetail(study, runId)
    const name = (await loadStudy(study)).file.name
    const saved = await savedRunTables(study, runId)
    const jobId = ctx.jobs.start('export', async (job) => exportRun(detail, resolve(out), name, job.signal, saved))
    return { jobId }
  }
}
