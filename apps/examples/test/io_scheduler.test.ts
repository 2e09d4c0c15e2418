// The io_scheduler example's output depends on when the pool's threads come up, so its lines
// are checked for what must hold rather than for one exact order.
import { describe, expect, it } from 'vitest';
import { runExample } from './run.ts';

describe('coro_io_scheduler', () => {
  it('the client and server exchange their messages through poll()', async () => {
    const { stdout, stderr, code } = await runExample('io_scheduler');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('io_scheduler::process event thread start');
    expect(lines.at(-1)).toBe('io_scheduler::process event thread stop');
    const server = lines.indexOf('server: Hello from client.');
    const client = lines.indexOf('client: Hello from server.');
    expect(server).toBeGreaterThan(0);
    expect(client).toBeGreaterThan(server);
    for (const i of [0, 1]) {
      const stopping = lines.indexOf(`io_scheduler::thread_pool worker ${i} stopping`);
      expect(stopping).toBeGreaterThan(client); // the pool stops with the scheduler
      const starting = lines.indexOf(`io_scheduler::thread_pool worker ${i} starting`);
      if (starting !== -1) expect(starting).toBeLessThan(stopping);
    }
    const known =
      /^(io_scheduler::(process event thread (start|stop)|thread_pool worker [01] (starting|stopping))|server: Hello from client\.|client: Hello from server\.)$/;
    for (const line of lines) expect(line).toMatch(known);
  });
});
