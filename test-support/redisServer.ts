// A private Redis server for tests: `redis-server` on a free loopback port, its data (the
// append-only file) in a temporary folder removed by stop(). Tests that need one skip, saying why,
// when redis-server is not installed; `.ci/run` installs it and sets AACLIP_REQUIRE_REDIS=1 so
// that a missing server fails there instead.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** Why the Redis tests cannot run here, or null when redis-server is installed. */
export const redisMissing: string | null = (() => {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (!probe.error && probe.status === 0) return null;
  const reason = 'redis-server is not installed (apt-get install redis-server); the queue tests are skipped';
  if (process.env.AACLIP_REQUIRE_REDIS) throw new Error(`${reason.split(';')[0]}, and AACLIP_REQUIRE_REDIS is set`);
  return reason;
})();

const withParentDeathSignal = spawnSync('setpriv', ['--help'], { encoding: 'utf8' }).stdout?.includes('--pdeathsig') ?? false;

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  /** Stops the server (SIGTERM: it writes its append-only file) and starts it again on the same port and data. */
  restart(): Promise<void>;
  /** Stops the server and removes its data. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once the server answers PING on the port. */
async function waitForPong(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}: ${log()}`);
    const pong = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.setTimeout(500);
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.once('data', (d) => {
        socket.destroy();
        resolve(d.toString().startsWith('+PONG'));
      });
      socket.once('error', () => resolve(false));
      socket.once('timeout', () => {
        socket.destroy();
        resolve(false);
      });
    });
    if (pong) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server did not answer on 127.0.0.1:${port}: ${log()}`);
}

/** Starts a Redis server with the append-only file on (fsync on every write), nothing saved outside its folder. */
export async function startRedisServer(): Promise<RedisServer> {
  if (redisMissing) throw new Error(redisMissing);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aaclip-redis-'));
  let port = await freePort();
  let child: ChildProcess;
  let output = '';
  const launch = async () => {
    output = '';
    // setpriv (util-linux) has the kernel send the server SIGKILL when this process dies.
    child = spawn(
      withParentDeathSignal ? 'setpriv' : 'redis-server',
      [...(withParentDeathSignal ? ['--pdeathsig', 'KILL', 'redis-server'] : []), '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--daemonize', 'no', '--protected-mode', 'yes'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    await waitForPong(port, child, () => output.slice(-2000));
    // A PONG from another server that took the port, while this one failed to bind it, is no start.
    await new Promise((r) => setTimeout(r, 20));
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}: ${output.slice(-2000)}`);
  };
  const halt = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  // Should the test process end without stop() (a hook that timed out, a killed test worker), the
  // server goes with it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  // Another process may take the free port before redis-server binds it: then try another.
  for (let attempt = 1; ; attempt++) {
    try {
      await launch();
      break;
    } catch (err) {
      if (attempt === 3) throw err;
      port = await freePort();
    }
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async restart() {
      await halt();
      await launch();
    },
    async stop() {
      process.off('exit', killOnExit);
      await halt();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
