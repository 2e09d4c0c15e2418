// The TCP and coroutine tests again, with the handle path off (CORO_NET_HANDLE_IO=off): what
// every connection falls back to where Node.js does not offer the handle path (under
// --pending-deprecation, the permission model, a changed binding) must work as well.
import './utils/handle-io-off.ts';
import './tcp.test.ts';
import './coroutine.test.ts';
