/** Import panel: the detected series with modality and reason, corrected by the user, previewed again and imported with the corrections. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import type { ArgsOf } from '@contract/contract'
import type { ImportPreview } from '@contract/contracts/study'
import { setApi } from '../../src-renderer/src/api/client'
import { useStudyStore } from '../../src-renderer/src/stores/study'
import { useErrorsStore } from '../../src-renderer/src/stores/errors'
import StudyPanel from '../../src-renderer/src/components/StudyPanel.vue'
import { FakeApi, STUDY, studySummary } from './fake-api'

const MPRAGE = 'MPRAGE GM'
const ODD = 'Coreg Avg Std Img'

/** Answers like the ADNI planner: a user's choice wins, else the detected modality. */
function plan(args: ArgsOf<'import.preview'>): ImportPreview {
  const o = args.modalityOverrides ?? {}
  const pick = (name: string, detected: 'smri' | 'pet' | 'ignore', why: string) =>
    o[name] ? { name, modality: o[name], reason: 'chosen by the user' } : { name, modality: detected, reason: why }
  const series = [pick(MPRAGE, 'smri', 'collection CSV: Modality MRI'), pick(ODD, 'ignore', 'cannot tell the modality from the name; choose one')]
  const withPet = series[1].modality === 'pet' ? 1 : 0
  const withSmri = series[0].modality === 'smri' ? 1 : 0
  return {
    source: args.source,
    layout: args.layout ?? 'adni',
    visit: args.visit ?? 'bl',
    visits: ['bl'],
    series,
    subjects: [
      {
        id: '002_S_0295',
        visits: ['bl'],
        smri: withSmri ? '/data/adni/a.nii' : null,
        pet: withPet ? '/data/adni/b.nii' : null,
        group: 'AD',
        known: false,
        smriProblem: null,
        petProblem: null
      }
    ],
    inputs: [],
    counts: { subjects: 1, withSmri, withPet, new: 1 },
    problems: []
  }
}

function row(wrapper: VueWrapper, series: string) {
  return wrapper.get(`[data-testid="import-series"] tr[data-series="${series}"]`)
}

describe('import: correcting the modality of a series', () => {
  let api: FakeApi
  let wrapper: VueWrapper

  beforeEach(async () => {
    setActivePinia(createPinia())
    api = new FakeApi()
      .handle('study.open', () => studySummary())
      .handle('import.preview', plan)
      .handle('import.run', () => ({ jobId: 'imp-1' }))
    setApi(api)
    await useStudyStore().open(STUDY)
    wrapper = mount(StudyPanel)
    await wrapper.get('[data-testid="import-source"]').setValue('/data/adni')
    await wrapper
      .findAll('button')
      .find((b) => b.text() === 'Preview')!
      .trigger('click')
    await flushPromises()
  })

  afterEach(() => {
    wrapper.unmount()
    setApi(null)
    localStorage.clear()
  })

  it('shows each series with its modality and the reason, and says which ones will be ignored', () => {
    expect(row(wrapper, MPRAGE).text()).toContain('collection CSV: Modality MRI')
    expect((row(wrapper, MPRAGE).get('select').element as HTMLSelectElement).value).toBe('smri')
    expect(row(wrapper, ODD).text()).toContain('cannot tell the modality from the name')
    expect((row(wrapper, ODD).get('select').element as HTMLSelectElement).value).toBe('ignore')
    expect(wrapper.get('[data-testid="import-series"]').text()).toContain('1 series could not be recognised')
  })

  it('a correction previews again with it, and the import passes every correction', async () => {
    await row(wrapper, ODD).get('select').setValue('pet')
    await flushPromises()
    expect(api.callsOf('import.preview')).toEqual([
      { study: STUDY, source: '/data/adni' },
      { study: STUDY, source: '/data/adni', layout: 'adni', visit: 'bl', modalityOverrides: { [ODD]: 'pet' } }
    ])
    expect(row(wrapper, ODD).text()).toContain('chosen by the user')
    expect(wrapper.get('[data-testid="import-preview"]').text()).toContain('1 with PET')

    await row(wrapper, MPRAGE).get('select').setValue('ignore')
    await flushPromises()
    expect(api.callsOf('import.preview')[2].modalityOverrides).toEqual({ [ODD]: 'pet', [MPRAGE]: 'ignore' })
    expect(wrapper.get('[data-testid="import-preview"]').text()).toContain('0 with sMRI')

    await wrapper
      .findAll('button')
      .find((b) => b.text().startsWith('Import '))!
      .trigger('click')
    await flushPromises()
    expect(api.callsOf('import.run')).toEqual([
      { study: STUDY, source: '/data/adni', layout: 'adni', visit: 'bl', modalityOverrides: { [ODD]: 'pet', [MPRAGE]: 'ignore' } }
    ])
  })

  it('a failed re-preview names the cohort and the reason, and takes the correction back', async () => {
    api.handle('import.preview', () => {
      throw new Error('/data/adni/ADNI: permission denied')
    })
    await row(wrapper, ODD).get('select').setValue('smri')
    await flushPromises()
    expect(useErrorsStore().notices[0]).toMatchObject({
      action: `Reading the cohort again with ${ODD} as smri`,
      file: '/data/adni',
      message: '/data/adni/ADNI: permission denied'
    })
    expect(useStudyStore().seriesOverrides).toEqual({})
    expect((row(wrapper, ODD).get('select').element as HTMLSelectElement).value).toBe('ignore')
    // The earlier preview stays, and importing it passes no correction.
    await wrapper
      .findAll('button')
      .find((b) => b.text().startsWith('Import '))!
      .trigger('click')
    await flushPromises()
    expect(api.callsOf('import.run')).toEqual([{ study: STUDY, source: '/data/adni', layout: 'adni', visit: 'bl' }])
  })

  it('a new preview or a discarded one forgets the corrections', async () => {
    await row(wrapper, ODD).get('select').setValue('pet')
    await flushPromises()
    await wrapper
      .findAll('button')
      .find((b) => b.text() === 'Preview')!
      .trigger('click')
    await flushPromises()
    expect(api.callsOf('import.preview')[2]).toEqual({ study: STUDY, source: '/data/adni' })
    expect(useStudyStore().seriesOverrides).toEqual({})
    await row(wrapper, ODD).get('select').setValue('smri')
    await flushPromises()
    await wrapper
      .findAll('button')
      .find((b) => b.text() === 'Discard preview')!
      .trigger('click')
    expect(useStudyStore().seriesOverrides).toEqual({})
    expect(wrapper.find('[data-testid="import-preview"]').exists()).toBe(false)
  })

  it('BIDS series are shown without a choice (the layout decides)', async () => {
    api.handle('import.preview', (args) => ({ ...plan(args), layout: 'bids', series: [{ name: 'pet/*_pet', modality: 'pet', reason: 'BIDS datatype pet' }] }))
    await wrapper
      .findAll('button')
      .find((b) => b.text() === 'Preview')!
      .trigger('click')
    await flushPromises()
    const table = wrapper.get('[data-testid="import-series"]')
    expect(table.find('select').exists()).toBe(false)
    expect(table.text()).toContain('BIDS datatype pet')
    expect(table.text()).toContain('the modality follows from the layout')
  })
})
