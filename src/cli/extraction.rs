//! `-j`, `-r`, `-f`, `-d`: the extraction steps of request mode, `sub`
//! (as filters) and `tedge-cmd` (on the final payload), spec §4. One
//! definition; `sub` and `tedge-cmd` word the help for what the steps do
//! there (`mut_arg`), and each flatten names its help heading.

use clap::Args;

// The extraction steps. (A plain comment: clap would take a doc comment
// here for the about text of the subcommands that flatten it.)
#[derive(Args, Debug, Clone, Default)]
pub struct Extraction {
    /// Match and print only this RFC 6901 JSON pointer, e.g. /data/0/value (strings print unquoted)
    #[arg(short = 'j', long, value_name = "POINTER")]
    pub json: Option<String>,

    /// Match this regex and print capture group 1 (or the whole match)
    #[arg(short = 'r', long, value_name = "RE")]
    pub regex: Option<String>,

    /// Print only these fields, as cut -f: N, N-, N-M, -M, comma lists
    #[arg(short = 'f', long, value_name = "LIST", allow_hyphen_values = true)]
    pub fields: Option<String>,

    /// Field delimiter for -f
    #[arg(short = 'd', long, value_name = "STR", default_value = ",")]
    pub delimiter: String,
}
