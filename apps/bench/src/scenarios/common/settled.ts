// Waiting for a server process to go quiet between a load and its CPU reading (net and tls
// groups).

/**
 * Resolves once `server` has stopped using CPU (no tick of CPU time over 100 ms), or after 3 s.
 * After a wrk run a server still closes the connections wrk left, and may accept some wrk had
 * opened but the server had not yet taken: 0–115 ms of CPU measured at 1,000 connections,
 * varying run to run, which fell into the next measurement's window or out of this one's.
 */
export async function settled(server: { cpuSeconds(): number }): Promise<void> {
  let last = server.cpuSeconds();
  for (let i = 0; i < 30; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = server.cpuSeconds();
    if (now === last) return;
    last = now;
  }
}
