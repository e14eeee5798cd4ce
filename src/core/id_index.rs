//! [`IdIndex`]: item id → position, the lookup on the hot path of a progress
//! report.
//!
//! An open-addressing table of `u32` positions with linear probing. The ids
//! themselves live with their owner (the session's item arrays, the
//! reporter's id list), which the table asks through a closure, so an entry
//! costs four bytes plus the load-factor slack.
//!
//! Ids come from the handler, and a host must not be slowed down by ids
//! chosen to collide: an unkeyed hash can be inverted, and 20,000 ids with
//! one home slot make every lookup walk the whole table. So each index
//! hashes with a key of its own, drawn from the standard library's
//! randomly seeded `RandomState`, through two folded 64×64→128-bit
//! multiplications (the construction of foldhash and aHash's fallback):
//! a few nanoseconds, and without the key an id set cannot be chosen to
//! collide.

use std::hash::{BuildHasher, Hasher};

use crate::ItemId;

/// The per-index hash key.
#[derive(Debug, Clone, Copy)]
struct Key([u64; 3]);

impl Key {
    /// A fresh key from the standard library's random hash seeds (each
    /// `RandomState` is seeded differently).
    fn random() -> Self {
        let state = std::collections::hash_map::RandomState::new();
        let word = |n: u64| {
            let mut hasher = state.build_hasher();
            hasher.write_u64(n);
            hasher.finish()
        };
        Self([word(1), word(2), word(3) | 1])
    }
}

impl Default for Key {
    fn default() -> Self {
        Self::random()
    }
}

/// The high and low halves of the full product, folded together.
#[inline]
const fn folded_multiply(a: u64, b: u64) -> u64 {
    let full = (a as u128) * (b as u128);
    (full as u64) ^ ((full >> 64) as u64)
}

/// Maps ids to positions `0..u32::MAX`; the ids are stored by the caller.
#[derive(Debug, Default)]
pub(crate) struct IdIndex {
    /// `position + 1`, or 0 for an empty slot.
    slots: Box<[u32]>,
    len: usize,
    key: Key,
}

impl IdIndex {
    /// An index for `count` ids at about two-thirds load.
    pub(crate) fn with_capacity(count: usize) -> Self {
        Self {
            slots: vec![0; count.saturating_add(count / 2).max(8)].into_boxed_slice(),
            len: 0,
            key: Key::random(),
        }
    }

    /// How many ids are indexed.
    #[cfg(test)]
    pub(crate) const fn len(&self) -> usize {
        self.len
    }

    /// The position of `id`; `key` gives the id stored at a position.
    #[inline]
    pub(crate) fn get(&self, id: ItemId, key: impl Fn(u32) -> ItemId) -> Option<u32> {
        let mut slot = self.home(id);
        loop {
            let entry = *self.slots.get(slot)?;
            if entry == 0 {
                return None;
            }
            if key(entry - 1) == id {
                return Some(entry - 1);
            }
            slot += 1;
            if slot == self.slots.len() {
                slot = 0;
            }
        }
    }

    /// Index `id` at `position`. The caller makes sure `id` is not indexed
    /// yet and that `key(position) == id`; the table grows (rehashing with
    /// `key`) when it is three-quarters full.
    ///
    /// # Panics
    ///
    /// If `position` does not fit a `u32` minus one.
    pub(crate) fn insert(&mut self, id: ItemId, position: usize, key: impl Fn(u32) -> ItemId) {
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            // Grow by half: the slack stays between a quarter and a half.
            let mut grown = Self {
                slots: vec![0; (self.slots.len() + self.slots.len() / 2).max(8)].into_boxed_slice(),
                len: 0,
                key: self.key,
            };
            for &entry in self.slots.iter().filter(|&&e| e != 0) {
                grown.place(key(entry - 1), entry);
            }
            *self = grown;
        }
        let entry = u32::try_from(position + 1).expect("fewer than 2^32 - 1 items");
        self.place(id, entry);
    }

    fn place(&mut self, id: ItemId, entry: u32) {
        let mut slot = self.home(id);
        while self.slots[slot] != 0 {
            slot += 1;
            if slot == self.slots.len() {
                slot = 0;
            }
        }
        self.slots[slot] = entry;
        self.len += 1;
    }

    /// The first slot to probe for `id`.
    #[inline]
    fn home(&self, id: ItemId) -> usize {
        let value = id.as_uuid().as_u128();
        let (low, high) = (value as u64, (value >> 64) as u64);
        let [k0, k1, k2] = self.key.0;
        let hash = folded_multiply(folded_multiply(low ^ k0, high ^ k1), k2);
        // The high bits of `hash * len` spread over `0..len` (Lemire's
        // multiply-shift range reduction).
        ((u128::from(hash) * self.slots.len() as u128) >> 64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_inserted_id_and_nothing_else() {
        let ids: Vec<ItemId> = (0..1000u128)
            .map(|n| ItemId::from_u128(n * 0x1_0000_0001))
            .collect();
        let mut index = IdIndex::default();
        for (position, &id) in ids.iter().enumerate() {
            index.insert(id, position, |p| ids[p as usize]);
        }
        assert_eq!(index.len(), ids.len());
        for (position, &id) in ids.iter().enumerate() {
            assert_eq!(index.get(id, |p| ids[p as usize]), Some(position as u32));
        }
        assert_eq!(index.get(ItemId::from_u128(7), |p| ids[p as usize]), None);
        assert_eq!(IdIndex::default().get(ids[0], |p| ids[p as usize]), None);
    }

    /// The probes of a lookup of every id, on average.
    fn mean_probes(index: &IdIndex, ids: &[ItemId]) -> f64 {
        let mut probes = 0usize;
        for &id in ids {
            let mut slot = index.home(id);
            loop {
                probes += 1;
                let entry = index.slots[slot];
                if entry == 0 || ids[entry as usize - 1] == id {
                    break;
                }
                slot = (slot + 1) % index.slots.len();
            }
        }
        probes as f64 / ids.len() as f64
    }

    /// Ids that the unkeyed hash this index used before (two fixed
    /// multiplications) sends to one home slot: for each high half, the low
    /// half that makes the hash 0.
    fn ids_colliding_under_the_old_hash(count: u64) -> Vec<ItemId> {
        const C1: u64 = 0x9E37_79B9_7F4A_7C15;
        const C2: u64 = 0xC2B2_AE3D_27D4_EB4F;
        // C1 is odd: its inverse modulo 2^64 by Newton's iteration.
        let mut inverse: u64 = C1;
        for _ in 0..6 {
            inverse = inverse.wrapping_mul(2u64.wrapping_sub(C1.wrapping_mul(inverse)));
        }
        assert_eq!(C1.wrapping_mul(inverse), 1);
        (1..=count)
            .map(|high| {
                let low = high.rotate_left(31).wrapping_mul(C2).wrapping_mul(inverse);
                let old_hash = low.wrapping_mul(C1) ^ high.rotate_left(31).wrapping_mul(C2);
                assert_eq!(old_hash, 0);
                ItemId::from_u128((u128::from(high) << 64) | u128::from(low))
            })
            .collect()
    }

    /// Bad input: ids chosen to collide made the index linear (20,000 items:
    /// 1.2 s instead of 7 ms to look each up once). With a keyed hash a
    /// lookup stays a few probes, counted here rather than timed.
    #[test]
    fn ids_chosen_to_collide_keep_lookups_short() {
        let count = if cfg!(miri) { 500 } else { 20_000 };
        let crafted = ids_colliding_under_the_old_hash(count);
        // Ids that differ only in their top bits, a second classic attack
        // on multiplicative hashes.
        let top_bits: Vec<ItemId> = (0..count)
            .map(|n| ItemId::from_u128(u128::from(n) << 112))
            .collect();
        for ids in [crafted, top_bits] {
            let mut index = IdIndex::default();
            for (position, &id) in ids.iter().enumerate() {
                index.insert(id, position, |p| ids[p as usize]);
            }
            let mean = mean_probes(&index, &ids);
            assert!(mean < 8.0, "{mean} probes per lookup on average");
            assert!(
                ids.iter()
                    .enumerate()
                    .all(|(p, &id)| index.get(id, |q| ids[q as usize]) == Some(p as u32))
            );
        }
    }

    #[test]
    fn a_presized_index_does_not_grow() {
        let ids: Vec<ItemId> = (0..100u128).map(ItemId::from_u128).collect();
        let mut index = IdIndex::with_capacity(ids.len());
        let size = index.slots.len();
        for (position, &id) in ids.iter().enumerate() {
            index.insert(id, position, |p| ids[p as usize]);
        }
        assert_eq!(index.slots.len(), size);
        assert!(
            ids.iter()
                .all(|&id| index.get(id, |p| ids[p as usize]).is_some())
        );
    }
}
