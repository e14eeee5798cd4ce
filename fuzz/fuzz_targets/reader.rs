//! Reads fixed-size values out of the fuzzer's bytes; past the end every
//! byte reads 0. Shared by the decoder targets (`#[path]`-included).
#![allow(dead_code)]

pub struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Self { data, at: 0 }
    }

    pub fn u8(&mut self) -> u8 {
        let byte = self.data.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        byte
    }

    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }

    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }

    pub fn u64(&mut self) -> u64 {
        u64::from(self.u32()) | (u64::from(self.u32()) << 32)
    }

    pub fn u128(&mut self) -> u128 {
        u128::from(self.u64()) | (u128::from(self.u64()) << 64)
    }

    pub fn bool(&mut self) -> bool {
        self.u8() & 1 == 1
    }

    /// Up to `most` UTF-16 units, the count read first.
    pub fn units(&mut self, most: usize) -> Vec<u16> {
        let count = usize::from(self.u16()) % (most + 1);
        (0..count).map(|_| self.u16()).collect()
    }

    /// `None` (a NULL pointer) or up to `most` units.
    pub fn maybe_units(&mut self, most: usize) -> Option<Vec<u16>> {
        self.bool().then(|| self.units(most))
    }

    /// A fixed buffer of `N` units.
    pub fn buffer<const N: usize>(&mut self) -> [u16; N] {
        let mut buffer = [0; N];
        let filled = usize::from(self.u16()) % (N + 1);
        for unit in &mut buffer[..filled] {
            *unit = self.u16();
        }
        buffer
    }
}
