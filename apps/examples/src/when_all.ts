// libcoro's when_all example: start many tasks at once and collect every result, from an array
// (results in order) or from arguments of different types (a typed tuple).
import { InlineExecutor, syncWait, task, whenAll, whenAllSettled } from '@coro/task';

const executor = new InlineExecutor();

const twice = task(async (exec: InlineExecutor, x: number) => {
  await exec.schedule();
  return x + x;
});

const tasks = [];
for (let i = 0; i < 5; i++) tasks.push(twice(executor, i + 1));

// whenAllSettled is libcoro's when_all: every result's value() returns it or rethrows.
const results = await syncWait(whenAllSettled(tasks));
for (const result of results) {
  try {
    console.log(result.value());
  } catch (error) {
    console.error(error);
  }
}

const square = task(async (exec: InlineExecutor, x: number) => {
  await exec.schedule();
  return x * x;
});

// Arguments of different types give a typed tuple: [number, number] here.
const [first, second] = await syncWait(whenAll(square(executor, 1.1), twice(executor, 10)));
// toPrecision(6): the six significant digits C++'s std::cout prints by default.
console.log(`first: ${Number(first.toPrecision(6))} second: ${second}`);
