import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'
import { InputError } from '../../src/errors.js'
import { loadPlaybook, parsePlaybook } from '../../src/playbook/load.js'
import { renderPlaybook, templateVars, validatePlaybook } from '../../src/playbook/render.js'
import { testVm } from './fixtures.js'

const playbook = (name: string) => fileURLToPath(new URL(`../../../playbooks/${name}.yaml`, import.meta.url))

function problemsOf(fn: () => unknown): string {
  try {
    fn()
  } catch (e) {
    assert.ok(e instanceof InputError, `expected an InputError, got ${e}`)
    return e.message
  }
  assert.fail('expected an InputError')
}

test('onboard follows the guide: dirs, cert, token, package, configs, hosts, chown, start, wait', async () => {
  const pb = await loadPlaybook(playbook('onboard'))
  const steps = renderPlaybook(pb, templateVars(pb, testVm('vm1')))
  assert.deepEqual(
    steps.map((s) => s.kind),
    [
      'directory',
      'directory',
      'upload',
      'upload',
      'package',
      'upload',
      'upload',
      'hosts-block',
      'directory',
      'chown',
      'systemd',
      'wait-for-log',
    ],
  )
  const token = steps.find((s) => s.kind === 'upload' && s.args.bundle === 'istio-token')
  assert.equal(token?.kind === 'upload' && token.args.mode, 0o600)
  const pkg = steps.find((s) => s.kind === 'package')
  assert.deepEqual(pkg?.args, { name: 'istio-sidecar', source: testVm('vm1').package, present: true })
})

test('offboard and verify load; verify only checks', async () => {
  const off = await loadPlaybook(playbook('offboard'))
  assert.ok(off.steps.some((s) => s.kind === 'package' && s.args.present === false))
  const verify = await loadPlaybook(playbook('verify'))
  const steps = renderPlaybook(verify, templateVars(verify, testVm('vm1')))
  for (const s of steps)
    assert.ok(s.kind === 'process' || s.kind === 'wait-for-log' || (s.kind === 'systemd' && s.args.assert))
})

test('unknown step type, unknown key and a wrong type are all reported with file:line:col', () => {
  const text = [
    'name: t', //                                    line 1
    'steps:',
    '  - name: one',
    '    uplod: { dest: /a, content: x }', //         line 4
    '  - name: two',
    '    directory: { path: /b, mode: 0755, colour: red }', // line 6
  ].join('\n')
  const msg = problemsOf(() => parsePlaybook(text, 'pb.yaml'))
  assert.match(msg, /pb\.yaml:4:5: unknown step type 'uplod'/)
  assert.match(msg, /pb\.yaml:6:34: directory\.mode: expected a quoted octal mode/)
  assert.match(msg, /pb\.yaml:6:40: unknown key 'colour' for directory/)
  assert.match(msg, /3 problems/)
})

test('missing arguments, two sources and a dangling restartOnChange are reported', () => {
  const text = [
    'name: t',
    'steps:',
    '  - name: up',
    '    upload: { dest: /a, content: x, bundle: hosts }',
    '  - name: svc',
    '    systemd: { restartOnChange: [up, nope] }',
  ].join('\n')
  const msg = problemsOf(() => parsePlaybook(text, 'pb.yaml'))
  assert.match(msg, /pb\.yaml:4:5: upload takes exactly one of content, bundle, src/)
  assert.match(msg, /pb\.yaml:6:5: systemd needs 'unit'/)
  assert.match(msg, /pb\.yaml:6:38: restartOnChange: 'nope' is neither a path nor an earlier step's name/)
})

test('a missing variable names the file, line and the VMs lacking it', () => {
  const text = [
    'name: t',
    'steps:',
    '  - name: d',
    "    directory: { path: '/srv/{{ vars.app }}/{{ vm.name }}' }",
  ].join('\n')
  const pb = parsePlaybook(text, 'pb.yaml')
  const withApp = testVm('a', { vars: { app: 'shop' } })
  assert.deepEqual(renderPlaybook(pb, templateVars(pb, withApp))[0].args, { path: '/srv/shop/a', present: true })
  const msg = problemsOf(() => validatePlaybook(pb, [withApp, testVm('b')]))
  assert.match(msg, /pb\.yaml:4:24: directory\.path: missing variable 'vars\.app' \(VMs: b\)/)
})

test('a whole-value template keeps its type and is type-checked after rendering', () => {
  const text = ['name: t', 'steps:', '  - name: s', "    systemd: { unit: istio, enabled: '{{ vars.on }}' }"].join('\n')
  const pb = parsePlaybook(text, 'pb.yaml')
  const [step] = renderPlaybook(pb, templateVars(pb, testVm('a', { vars: { on: false } })))
  assert.equal(step.kind === 'systemd' && step.args.enabled, false)
  const [yes] = renderPlaybook(pb, templateVars(pb, testVm('a', { vars: { on: 'yes' } })))
  assert.equal(yes.kind === 'systemd' && yes.args.enabled, true, 'yes, as Ansible users write it')
  const msg = problemsOf(() => renderPlaybook(pb, templateVars(pb, testVm('a', { vars: { on: 'maybe' } }))))
  assert.match(msg, /pb\.yaml:4:38: systemd\.enabled: expected true or false \(or yes\/no\), got "maybe"/)
})

test('a playbook naming {{ package }} for a VM without one is an input error, unless the default package fills it', async () => {
  const pb = await loadPlaybook(playbook('onboard'))
  const msg = problemsOf(() => validatePlaybook(pb, [testVm('a', { package: undefined })]))
  assert.match(msg, /onboard\.yaml:\d+:\d+: package\.source: missing variable 'package'/)
  validatePlaybook(pb, [testVm('a', { package: undefined })], true)
})

test('YAML syntax errors carry positions', () => {
  assert.match(
    problemsOf(() => parsePlaybook('name: t\nsteps:\n  - name: [\n', 'bad.yaml')),
    /bad\.yaml:\d+:\d+: /,
  )
})
