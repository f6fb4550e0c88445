//! How model and experiment files spell the values of configuration enums.
//!
//! Each enum carries its spelling table next to its definition, so that
//! reading a file (`scenario::doc::keyword`), writing one (CSV cells, the
//! manifest) and the error that lists what is allowed all use one table.
//! It sits outside the layers because every layer's configuration has
//! such enums.

/// An enum with a fixed spelling per value.
pub trait Keyword: Copy + PartialEq + 'static {
    /// Every value with its spelling, in the order messages list them.
    const SPELLINGS: &'static [(&'static str, Self)];

    /// How files spell this value.
    fn spelling(self) -> &'static str {
        Self::SPELLINGS
            .iter()
            .find(|(_, v)| *v == self)
            .map(|(s, _)| *s)
            .expect("every value has a spelling")
    }

    /// The value spelled `s`, if any.
    fn from_spelling(s: &str) -> Option<Self> {
        Self::SPELLINGS
            .iter()
            .find(|(name, _)| *name == s)
            .map(|(_, v)| *v)
    }

    /// Every spelling, in table order.
    fn spellings() -> Vec<&'static str> {
        Self::SPELLINGS.iter().map(|(s, _)| *s).collect()
    }
}

/// Implements [`Keyword`] for an enum from `"spelling" => Variant` pairs.
macro_rules! keywords {
    ($ty:ty { $($spelling:literal => $variant:expr),+ $(,)? }) => {
        impl $crate::keyword::Keyword for $ty {
            const SPELLINGS: &'static [(&'static str, Self)] = &[$(($spelling, $variant)),+];
        }
    };
}
pub(crate) use keywords;

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Fruit {
        Apple,
        Pear,
    }
    keywords!(Fruit { "apple" => Fruit::Apple, "pear" => Fruit::Pear });

    #[test]
    fn spellings_round_trip() {
        assert_eq!(Fruit::Pear.spelling(), "pear");
        assert_eq!(Fruit::from_spelling("apple"), Some(Fruit::Apple));
        assert_eq!(Fruit::from_spelling("plum"), None);
        assert_eq!(Fruit::spellings(), ["apple", "pear"]);
    }
}
