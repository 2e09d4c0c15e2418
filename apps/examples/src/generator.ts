// libcoro's generator example. JavaScript's own `function*` is a lazy coroutine generator
// (values are produced only as the loop asks for them, so an infinite one is fine), which is
// exactly coro::generator<T>; coro adds nothing on top of it.
import { syncWait, task } from '@coro/task';
import { noArgs } from './net/args.ts';

noArgs('generator');

const countTo = task(async (countTo: number) => {
  // A generator that yields an incrementing number each time it is asked for one.
  function* gen(): Generator<number> {
    let i = 0;
    while (true) {
      yield i;
      ++i;
    }
  }

  let line = '';
  for (const val of gen()) {
    line += `${val}, `;
    if (val >= countTo) break;
  }
  console.log(line);
});

await syncWait(countTo(100));
