// libcoro's task example: tasks awaiting tasks, and returning large values. libcoro's version
// prints its move constructors to show the value is moved, not copied; JavaScript hands objects
// over by reference, so there is nothing to move and nothing to print for it.
import { syncWait, task } from '@coro/task';
import { noArgs } from './net/args.ts';

noArgs('task');

// A task that awaits the doubling of its input, then adds 5.
const doubleAndAdd5 = task(async (input: number) => {
  const doubleTask = task(async (x: number) => x * 2);
  const doubled = await doubleTask(input);
  return doubled + 5;
});

const output = await syncWait(doubleAndAdd5(2));
console.log(`Task1 output = ${output}`);

interface ExpensiveStruct {
  id: string;
  records: string[];
}

// A large result is returned as it is: the awaiting code receives the same object.
const moveOutput = task(async (): Promise<ExpensiveStruct> => {
  const data: ExpensiveStruct = { id: '12345678-1234-5678-9012-123456781234', records: [] };
  for (let i = 10_000; i < 100_000; i++) data.records.push(String(i));
  return data;
});

const data = await syncWait(moveOutput());
console.log(`${data.id} has ${data.records.length} records.`);

const answerTask = task(async () => ({ value: 42 }));
const answerToEverything = await syncWait(answerTask());
if (answerToEverything !== null) console.log(`Answer to everything = ${answerToEverything.value}`);
