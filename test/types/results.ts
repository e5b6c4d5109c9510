// Compiled (never run) by test/16-types.test.ts with `tsc --noEmit`: the result types follow the
// model's task without casts. Each line marked @ts-expect-error must be a type error; every other
// line must compile. If classify() returned the union for a typed model, `single.top` below would
// not compile; if it returned `any`, the @ts-expect-error lines would fail as unused.
import { loadModel, type Model, type MultiLabelResult, type SingleLabelResult, type Task } from '../../lib/index';

export async function typed(image: Buffer): Promise<void> {
  const single = await loadModel('m.torchscript', { task: 'single-label' });
  const s = await single.classify(image);
  const top: string = s.top;
  const confidence: number = s.confidence;
  const batch: SingleLabelResult[] = await single.classifyBatch([image]);
  // @ts-expect-error a single-label result has no predicted_classes
  s.predicted_classes;

  const multi = await loadModel('m.torchscript', { task: 'multi-label' });
  const m = await multi.classify(image);
  const classes: string[] = m.predicted_classes;
  const asMulti: MultiLabelResult = m;
  // @ts-expect-error a multi-label result has no top
  m.top;

  const unknown: Model<Task> = await loadModel('m.torchscript');
  const u = await unknown.classify(image);
  // @ts-expect-error the task is unknown: the result is the union
  u.top;
  if (unknown.is('single-label')) {
    const narrowed: SingleLabelResult = await unknown.classify(image);
    void narrowed;
  }
  if ('top' in u) void (u.top satisfies string);

  // @ts-expect-error not a task
  await loadModel('m.torchscript', { task: 'detection' });
  // grouped options are typed too
  // @ts-expect-error streams is a number
  await loadModel('m.torchscript', { cuda: { streams: 'two' } });
  await loadModel('m.torchscript', { torch: { threads: 2 }, cuda: { graphs: false }, tensorrt: { workspaceMb: 256 }, batching: { combineCalls: false } });
  void [top, confidence, batch, classes, asMulti];
}
