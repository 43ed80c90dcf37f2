//! The compiled-component cache: loading the same bytes again (a registry
//! rebuilt, a strategy restored, the same upload validated twice) compiles
//! nothing. A server keeps every published version of every strategy and may be
//! handed any number of uploads, so the cache is bounded by the bytes of
//! compiled code it holds and drops the least recently used component first.
//! A plugin in a registry keeps its own component alive, so eviction only
//! forgets compiled code nobody holds, or costs one recompilation.
//!
//! `hashlink`'s linked map keeps the recency order; its `LruCache` bounds by
//! count, not bytes, so the byte accounting is here.

use hashlink::LinkedHashMap;
use wasmtime::component::Component;

/// Compiled components by (sha256 of the bytes, engine compatibility hash).
pub(crate) type Key = ([u8; 32], u64);

/// Compiled components, least recently used first, within a byte budget.
pub(crate) struct ComponentCache {
    entries: LinkedHashMap<Key, (Component, usize)>,
    bytes: usize,
    limit: usize,
}

impl ComponentCache {
    /// An empty cache holding at most `limit` bytes of compiled code.
    pub(crate) fn new(limit: usize) -> ComponentCache {
        ComponentCache {
            entries: LinkedHashMap::new(),
            bytes: 0,
            limit,
        }
    }

    /// The component compiled for `key`, now the most recently used.
    pub(crate) fn get(&mut self, key: &Key) -> Option<Component> {
        self.entries.to_back(key).map(|(found, _)| found.clone())
    }

    /// Keeps `component`, then drops the least recently used until the cache is
    /// within its budget. A component larger than the whole budget is not kept.
    pub(crate) fn insert(&mut self, key: Key, component: Component) {
        let size = compiled_size(&component);
        if let Some((_, replaced)) = self.entries.insert(key, (component, size)) {
            self.bytes -= replaced;
        }
        self.bytes += size;
        while self.bytes > self.limit {
            let Some((_, (_, evicted))) = self.entries.pop_front() else {
                break;
            };
            self.bytes -= evicted;
        }
    }
}

/// Bytes of the component's compiled image (machine code and its metadata):
/// what holding it costs, unlike the size of the WebAssembly it came from.
fn compiled_size(component: &Component) -> usize {
    let image = component.image_range();
    image.end as usize - image.start as usize
}

#[cfg(test)]
mod tests {
    use wasmtime::component::Component;

    use super::compiled_size;
    use crate::{Host, HostConfig};

    /// A component whose code differs by `n`, so each has its own hash.
    fn component(n: u32) -> Vec<u8> {
        wat::parse_str(format!(
            r#"(component (core module (func (export "f") (result i32) i32.const {n})))"#
        ))
        .unwrap()
    }

    /// Whether two components are one compilation: the same compiled code in
    /// memory. Both are held while compared, so a freed image's address cannot
    /// be handed to a new one.
    fn same(x: &Component, y: &Component) -> bool {
        x.image_range().start == y.image_range().start
    }

    fn host_with_cache(cache_bytes: usize) -> Host {
        Host::new(HostConfig {
            cache_bytes,
            ..HostConfig::default()
        })
        .unwrap()
    }

    #[test]
    fn a_hit_compiles_nothing_and_the_least_recently_used_is_evicted_first() {
        let [a, b, c] = [component(1), component(2), component(3)];
        let sizes = {
            let probe = host_with_cache(usize::MAX);
            [&a, &b, &c].map(|bytes| compiled_size(&probe.compiled(bytes).unwrap()))
        };
        assert!(sizes.iter().all(|&s| s > 0), "{sizes:?}");
        // Room for any two of the three, not for all three.
        let host = host_with_cache(sizes.iter().sum::<usize>() - 1);

        let a_first = host.compiled(&a).unwrap();
        let b_first = host.compiled(&b).unwrap();
        assert!(
            same(&host.compiled(&a).unwrap(), &a_first),
            "a hit must not recompile"
        );
        // `a` was used last, so compiling `c` evicts `b`.
        host.compiled(&c).unwrap();
        assert!(
            same(&host.compiled(&a).unwrap(), &a_first),
            "a was evicted instead of b"
        );
        assert!(
            !same(&host.compiled(&b).unwrap(), &b_first),
            "b was kept beyond the budget"
        );
    }

    #[test]
    fn a_component_larger_than_the_budget_is_compiled_each_time() {
        let bytes = component(1);
        let host = host_with_cache(0);
        let first = host.compiled(&bytes).unwrap();
        let again = host.compiled(&bytes).unwrap();
        assert!(!same(&first, &again));
    }
}
