// Issue 19 without TensorRT: the fp16 ONNX that TensorRT 11 builds fp16 engines from (checked against
// the fp32 export with onnx's reference evaluator, and against PyTorch's own half precision), and
// ahead-of-time engine builds (buildEngine(), `edge-classify build-engine`) where TensorRT is absent.
// The engine cache, its atomic writes and the calibration shape check are tested natively
// (native/test/engine_cache_test.cc, run by scripts/native-tests.sh).
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildEngine, buildInfo, InvalidOptionError, UnsupportedError } from '../lib/index.mjs';
import { digitsModel, fixtureModel, python, root, scratch } from './helpers';

const exportScript = path.join(root, 'scripts', 'models', 'export_onnx.py');
const compareScript = path.join(root, 'scripts', 'models', 'compare_onnx.py');

interface Comparison {
  maxAbsDiff: number;
  maxAbsLogit: number;
  torchHalfMaxAbsDiff: number;
  within: boolean;
  reference: { input: string; output: string; initializers: string[] };
  candidate: { input: string; output: string; initializers: string[] };
}

function compare(fp32: string, fp16: string, torchscript: string): { code: number | null; result: Comparison } {
  const r = spawnSync(python(), [compareScript, fp32, fp16, '--torchscript', torchscript, '--batch', '2'], { encoding: 'utf8' });
  if (!r.stdout) throw new Error(r.stderr);
  return { code: r.status, result: JSON.parse(r.stdout) };
}

describe('export_onnx.py --precision fp16', () => {
  for (const [name, torchscript] of [['digits', digitsModel], ['mobilenet_v3_small', fixtureModel('mobilenet_v3_small.torchscript')]] as const) {
    it(`${name}: half weights, float32 input and output, the fp32 export's logits within fp16 rounding`, () => {
      const fp32 = path.join(scratch, `${name}-fp32.onnx`);
      const fp16 = path.join(scratch, `${name}-fp16.onnx`);
      execFileSync(python(), [exportScript, torchscript, fp32], { encoding: 'utf8' });
      execFileSync(python(), [exportScript, torchscript, fp16, '--precision', 'fp16'], { encoding: 'utf8' });
      const { code, result } = compare(fp32, fp16, torchscript);
      expect(result.reference).toEqual({ input: 'FLOAT', output: 'FLOAT', initializers: ['FLOAT'] });
      expect(result.candidate).toEqual({ input: 'FLOAT', output: 'FLOAT', initializers: ['FLOAT16'] });
      // no closer than half precision allows, and no further than PyTorch's own .half() (2x margin)
      expect(result.maxAbsDiff).toBeGreaterThan(0);
      expect(result.maxAbsDiff).toBeLessThanOrEqual(2 * result.torchHalfMaxAbsDiff + 1e-3 * result.maxAbsLogit);
      expect(result.maxAbsDiff).toBeLessThanOrEqual(0.1 * result.maxAbsLogit);
      expect(result.within).toBe(true);
      expect(code).toBe(0);
      // the comparison can fail: the same fp16 model with its last weights scaled by 1.1
      const scaled = path.join(scratch, `${name}-fp16-scaled.onnx`);
      execFileSync(python(), ['-c', `
import sys, numpy as np, onnx
from onnx import numpy_helper
m = onnx.load(sys.argv[1])
last = [t for t in m.graph.initializer if len(t.dims) == 2][-1]
last.CopyFrom(numpy_helper.from_array((numpy_helper.to_array(last) * np.float16(1.1)).astype(np.float16), last.name))
onnx.save(m, sys.argv[2])`, fp16, scaled]);
      const off = compare(fp32, scaled, torchscript);
      expect(off.result.within).toBe(false);
      expect(off.code).toBe(1);
    });
  }
});

describe('ahead-of-time engine builds without TensorRT', { skip: buildInfo().tensorrtAvailable && 'TensorRT is installed here' }, () => {
  const bin = path.join(root, 'bin', 'edge-classify.js');
  const run = (args: string[]) => spawnSync(process.execPath, [bin, 'build-engine', ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });

  it('buildEngine() checks its arguments, then rejects with UnsupportedError naming what to install', async () => {
    await expect(buildEngine('' as never)).rejects.toThrow(InvalidOptionError);
    await expect(buildEngine(fixtureModel('resnet18.onnx'), { onProgress: 5 as never })).rejects.toThrow(/options\.onProgress/);
    await expect(buildEngine(fixtureModel('resnet18.onnx'), { precision: 'fp8' as never })).rejects.toThrow(InvalidOptionError);
    const progress: unknown[] = [];
    const error = await buildEngine(fixtureModel('resnet18.onnx'), { precision: 'fp16', onProgress: (p) => progress.push(p) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedError);
    expect((error as Error).message).toMatch(/TensorRT 10 or 11/);
    expect(progress).toEqual([]);
  });

  it('`edge-classify build-engine`: --help exits 0, bad usage 2, no TensorRT 1 with the reason on stderr', () => {
    const help = run(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/Usage: edge-classify build-engine <model\.onnx>/);
    expect(run([]).status).toBe(2);
    const badBatch = run([fixtureModel('resnet18.onnx'), '--max-batch', 'many']);
    expect(badBatch.status).toBe(2);
    expect(badBatch.stderr).toMatch(/--max-batch must be a whole number above 0, not 'many'/);
    expect(run([fixtureModel('resnet18.onnx'), '--precision', 'fp8']).status).toBe(2);
    const none = run([fixtureModel('resnet18.onnx'), '--precision', 'fp16']);
    expect(none.status).toBe(1);
    expect(none.stdout).toBe('');
    expect(none.stderr).toMatch(/build-engine: .*TensorRT 10 or 11/);
  });

  it('the progress line: a bar over the fraction done, the phase (shortened) and the seconds so far', async () => {
    const { progressLine } = await import('../lib/cli/build-engine');
    expect(progressLine({ model: 'm.onnx', phase: 'Building engine', step: 3, steps: 10, fraction: 0.3, elapsedMs: 61_400 }, 10)).toBe('[###.......] 30%  Building engine  61s');
    expect(progressLine({ model: 'm.onnx', phase: 'x'.repeat(60), step: 0, steps: 1, fraction: 1.7, elapsedMs: 0 }, 4)).toBe(`[####] 100%  ${'x'.repeat(39)}…  0s`);
  });
});
