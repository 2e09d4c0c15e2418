// The functions the io_scheduler example's thread pool can run.

/** Builds the server's response to a request (a stand-in for CPU-heavy work). */
export function respond(request: string): string {
  return request.startsWith('Hello') ? 'Hello from server.' : 'Who is there?';
}
