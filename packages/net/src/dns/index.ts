export {
  type DnsFamily,
  type DnsResult,
  type DnsStatus,
  type ResolveOptions,
  Resolver,
  type ResolverOptions,
} from './resolver.ts';
