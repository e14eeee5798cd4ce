//! [`IdIndex`]: item id → position, the lookup on the hot path of a progress
//! report.
//!
//! An open-addressing table of `u32` positions with linear probing. The ids
//! themselves live with their owner (the session's item arrays, the
//! reporter's id list), which the table asks through a closure, so an entry
//! costs four bytes plus the load-factor slack. Lookups hash the id with two
//! multiplications; ids come from the handler, and a handler that picks
//! colliding ids only slows down its own lookups.

use crate::ItemId;

/// Maps ids to positions `0..u32::MAX`; the ids are stored by the caller.
#[derive(Debug, Default)]
pub(crate) struct IdIndex {
    /// `position + 1`, or 0 for an empty slot.
    slots: Box<[u32]>,
    len: usize,
}

impl IdIndex {
    /// An index for `count` ids at about two-thirds load.
    pub(crate) fn with_capacity(count: usize) -> Self {
        Self {
            slots: vec![0; (count + count / 2).max(8)].into_boxed_slice(),
            len: 0,
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
        let hash = low.wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ high.rotate_left(31).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
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
