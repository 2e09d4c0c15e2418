import { describe, expect, it } from 'vitest';
import {
  CancelledError,
  CoroError,
  errorClassForCode,
  InvalidArgumentError,
  registerErrorClass,
  TimeoutError,
} from '../src/index.ts';

class QuotaError extends CoroError {
  constructor(message = 'over quota') {
    super(message, { code: 'ERR_TEST_QUOTA' });
  }
}

class OtherQuotaError extends CoroError {
  constructor() {
    super('other', { code: 'ERR_TEST_QUOTA' });
  }
}

describe('the error registry', () => {
  it("holds @coro/task's own errors and CoroError itself", () => {
    expect(errorClassForCode('ERR_CORO')).toBe(CoroError);
    expect(errorClassForCode('ERR_CORO_CANCELLED')).toBe(CancelledError);
    expect(errorClassForCode('ERR_CORO_TIMEOUT')).toBe(TimeoutError);
    expect(errorClassForCode('ERR_CORO_INVALID_ARGUMENT')).toBe(InvalidArgumentError);
    expect(errorClassForCode('ERR_NOT_REGISTERED_ANYWHERE')).toBeUndefined();
  });

  it('hands back a registered subclass by its code; registering twice is harmless', () => {
    registerErrorClass('ERR_TEST_QUOTA', QuotaError);
    registerErrorClass('ERR_TEST_QUOTA', QuotaError);
    expect(errorClassForCode('ERR_TEST_QUOTA')).toBe(QuotaError);
    expect(new QuotaError().code).toBe('ERR_TEST_QUOTA');
  });

  it('tells classes that share a code apart by name, else the first registered wins', () => {
    registerErrorClass('ERR_TEST_QUOTA', QuotaError);
    registerErrorClass('ERR_TEST_QUOTA', OtherQuotaError);
    expect(errorClassForCode('ERR_TEST_QUOTA', 'OtherQuotaError')).toBe(OtherQuotaError);
    expect(errorClassForCode('ERR_TEST_QUOTA', 'QuotaError')).toBe(QuotaError);
    expect(errorClassForCode('ERR_TEST_QUOTA', 'Unrelated')).toBe(QuotaError);
    expect(errorClassForCode('ERR_TEST_QUOTA')).toBe(QuotaError);
  });

  it('refuses an empty code or a class that is not a CoroError, with InvalidArgumentError', () => {
    expect(() => registerErrorClass('', QuotaError)).toThrow(InvalidArgumentError);
    expect(() => registerErrorClass(42 as never, QuotaError)).toThrow(InvalidArgumentError);
    expect(() => registerErrorClass('ERR_TEST_X', Error as never)).toThrow(InvalidArgumentError);
    expect(() => registerErrorClass('ERR_TEST_X', (() => {}) as never)).toThrow(
      InvalidArgumentError,
    );
    expect(errorClassForCode('ERR_TEST_X')).toBeUndefined();
  });
});
