//! The interview prep sheet.

use crate::app::Context;
use crate::cards::Bank;

pub fn render(_ctx: &Context, _bank: &Bank, _cases: usize) -> anyhow::Result<String> {
    anyhow::bail!("not yet")
}
