/**
 * edge-classify <command> ...  — the command line.
 *   classify <files|dirs|globs>  (also the default: edge-classify <images...>)
 *   serve --model project/version=path ...
 *   info <model>
 *   bench [--model path]
 *   build-engine <model.onnx>
 * Exit codes: 0 success, 1 a model or image failed, 2 bad usage. Errors go to stderr.
 * This file only dispatches: one file per command (classify.ts, serve.ts, info.ts, bench.ts, build-engine.ts), all
 * sharing args.ts.
 */
import { EXIT, fail } from './args';

const USAGE = `Usage: edge-classify <command> [options]

Commands:
  classify <files|dirs|globs>   classify images, print Roboflow JSON (the default command)
  serve --model id=path ...     a local drop-in for Roboflow's classification HTTP API
  info <model>                  a model's metadata, input, classes, backend, device and build info
  bench [--model path]          the standard benchmark of a model on this machine
  build-engine <model.onnx>     build and cache a TensorRT engine ahead of time, with progress

Run 'edge-classify <command> --help' for a command's options.
Exit codes: 0 success, 1 a model or image failed, 2 bad usage.`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'classify':
      return (await import('./classify')).classifyCommand(rest);
    case 'serve':
      return (await import('./serve')).serveCommand(rest);
    case 'info':
      return (await import('./info')).infoCommand(rest);
    case 'bench':
      return (await import('./bench')).benchCommand(rest);
    case 'build-engine':
      return (await import('./build-engine')).buildEngineCommand(rest);
    case undefined:
      process.stderr.write(`${USAGE}\n`);
      return EXIT.usage;
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return EXIT.ok;
    default:
      return (await import('./classify')).classifyCommand(argv);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      fail(`: ${(error as Error).stack ?? String(error)}`);
      process.exitCode = EXIT.failed;
    },
  );
}
