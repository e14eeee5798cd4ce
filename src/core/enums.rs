//! The two macros that define the crate's mirrors of Windows enumerations
//! and flag sets: every generation's vocabulary is written with them, so
//! all of it decodes strictly and reports errors the same way.

/// Defines a `#[repr(u32)]` enumeration mirroring a Windows `enum` or a
/// family of `#define`s, with `ALL`, `as_u32`, `windows_name`, a strict
/// `TryFrom<u32>`, `From<Self> for u32` and a lower-case `Display`.
///
/// Each variant is `Name = literal => ("WINDOWS_NAME", "human words")`.
macro_rules! u32_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident: $type_name:literal {
            $(
                $(#[$vmeta:meta])*
                $variant:ident = $value:literal => ($windows:literal, $human:literal),
            )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        #[repr(u32)]
        pub enum $name {
            $(
                $(#[$vmeta])*
                $variant = $value,
            )+
        }

        impl $name {
            #[doc = concat!("The Windows name of the type, `", $type_name, "`, as errors report it.")]
            pub const TYPE_NAME: &'static str = $type_name;

            /// Every value, in declaration (ascending numeric) order.
            pub const ALL: [Self; [$(stringify!($variant)),+].len()] = [$(Self::$variant),+];

            /// The raw 32-bit value.
            pub const fn as_u32(self) -> u32 {
                self as u32
            }

            /// The Windows constant name of this value.
            pub const fn windows_name(self) -> &'static str {
                match self {
                    $(Self::$variant => $windows,)+
                }
            }
        }

        #[doc = concat!("Strict decoding of a raw `", $type_name, "`.")]
        ///
        /// # Errors
        ///
        /// [`DecodeError::UnknownValue`]($crate::DecodeError::UnknownValue)
        /// naming the type and the value when it
        /// is not one of the defined values.
        impl TryFrom<u32> for $name {
            type Error = $crate::core::decode::DecodeError;

            fn try_from(value: u32) -> Result<Self, $crate::core::decode::DecodeError> {
                match value {
                    $($value => Ok(Self::$variant),)+
                    _ => Err($crate::core::decode::DecodeError::UnknownValue {
                        type_name: $type_name,
                        value,
                    }),
                }
            }
        }

        impl From<$name> for u32 {
            fn from(value: $name) -> Self {
                value.as_u32()
            }
        }

        /// Lower-case human words (the Windows name is
        /// [`windows_name`](Self::windows_name)).
        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(match self {
                    $(Self::$variant => $human,)+
                })
            }
        }
    };
}
pub(crate) use u32_enum;

/// Defines a `bitflags` set mirroring a Windows flag family, with the SDK
/// mask as `MASK` and a strict `decode` that rejects bits outside it.
macro_rules! strict_flags {
    (
        $(#[$($attr:tt)*])*
        pub struct $name:ident: $type_name:literal {
            $(
                $(#[$($fattr:tt)*])*
                const $flag:ident = $value:expr;
            )+
        }
        $(#[$mask_meta:meta])*
        mask = $mask:expr;
    ) => {
        bitflags::bitflags! {
            $(#[$($attr)*])*
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
            pub struct $name: u32 {
                $(
                    $(#[$($fattr)*])*
                    const $flag = $value;
                )+
            }
        }

        impl $name {
            $(#[$mask_meta])*
            pub const MASK: u32 = $mask;

            #[doc = concat!("The Windows name of the type, `", $type_name, "`, as errors report it.")]
            pub const TYPE_NAME: &'static str = $type_name;

            #[doc = concat!("Strict decoding of a raw `", $type_name, "`.")]
            ///
            /// # Errors
            ///
            /// [`DecodeError::UnknownBits`]($crate::DecodeError::UnknownBits) when `bits` has a bit outside
            /// [`Self::MASK`].
            pub const fn decode(bits: u32) -> Result<Self, $crate::DecodeError> {
                let unknown = bits & !Self::MASK;
                if unknown != 0 {
                    return Err($crate::DecodeError::UnknownBits {
                        type_name: $type_name,
                        value: bits,
                        unknown,
                        valid_mask: Self::MASK,
                    });
                }
                Ok(Self::from_bits_retain(bits))
            }
        }
    };
}
pub(crate) use strict_flags;
