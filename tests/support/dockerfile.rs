//! Dockerfiles generated from a label value, in the forms authors write, with the position in
//! the Dockerfile of every character of the value — so a test can say where a diagnostic about
//! the value must point in the Dockerfile.
//!
//! The generator follows Docker's rules independently of xcs: a line ending in the escape
//! character continues on the next (the next line's leading whitespace kept; a continuation
//! line starting with `#` would be a comment, so lines never break before `#` or whitespace);
//! in double quotes the escape character escapes `"`, `$` and itself; single quotes escape
//! nothing (a `'` is written `'"'"'`).

/// How the label is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelForm {
    /// `LABEL org.nrg.commands="[{\"name\": …}]"`, continuation lines every ~70 characters.
    DoubleQuoted,
    /// `LABEL org.nrg.commands='[{"name": …}]'`, continuation lines too.
    SingleQuoted,
    /// Three labels in one instruction, one per continuation line, the commands in the middle.
    SeveralLabels,
    /// `# escape=`` and the legacy `LABEL org.nrg.commands "…"` (no `=`), backtick escapes.
    BacktickLegacy,
}

impl LabelForm {
    pub const ALL: [LabelForm; 4] = [
        LabelForm::DoubleQuoted,
        LabelForm::SingleQuoted,
        LabelForm::SeveralLabels,
        LabelForm::BacktickLegacy,
    ];

    /// A Dockerfile name that xcs must recognise, different per form.
    pub fn file_name(self) -> &'static str {
        match self {
            LabelForm::DoubleQuoted => "Dockerfile",
            LabelForm::SingleQuoted => "Dockerfile.main",
            LabelForm::SeveralLabels => "tool.Dockerfile",
            LabelForm::BacktickLegacy => "windows.dockerfile",
        }
    }
}

/// A generated Dockerfile and, for each character of the value, its (line, column).
pub struct Generated {
    pub text: String,
    pub positions: Vec<(u32, u32)>,
}

struct Writer {
    text: String,
    line: u32,
    col: u32,
    positions: Vec<(u32, u32)>,
    /// Characters on the current line since the last break.
    run: usize,
}

impl Writer {
    fn new() -> Writer {
        Writer {
            text: String::new(),
            line: 1,
            col: 1,
            positions: Vec::new(),
            run: 0,
        }
    }

    fn raw(&mut self, s: &str) {
        for c in s.chars() {
            self.text.push(c);
            if c == '\n' {
                self.line += 1;
                self.col = 1;
                self.run = 0;
            } else {
                self.col += 1;
                self.run += 1;
            }
        }
    }

    /// One value character, written as `written`; it is placed where `written` starts
    /// (`at` characters into it).
    fn unit(&mut self, written: &str, at: u32) {
        self.positions.push((self.line, self.col + at));
        self.raw(written);
    }

    /// Continue on the next line when the line is long, unless the next value character
    /// would make the continuation line look like a comment or lose leading spaces.
    fn maybe_break(&mut self, next: Option<char>, escape: char, indent: &str) {
        let safe = next.is_some_and(|c| c != '#' && !c.is_whitespace());
        if self.run >= 70 && safe {
            self.raw(&format!("{escape}\n{indent}"));
        }
    }
}

/// The value written as a Dockerfile in `form`.
pub fn generate(value: &str, form: LabelForm) -> Generated {
    let mut w = Writer::new();
    let chars: Vec<char> = value.chars().collect();
    let escape = if form == LabelForm::BacktickLegacy {
        '`'
    } else {
        '\\'
    };
    match form {
        LabelForm::DoubleQuoted => w.raw("FROM scratch\nLABEL org.nrg.commands=\""),
        LabelForm::SingleQuoted => w.raw("FROM scratch\n# the commands\nLABEL org.nrg.commands='"),
        LabelForm::SeveralLabels => w.raw(
            "FROM scratch\nLABEL maintainer=\"someone@example.org\" \\\n      org.nrg.commands=\"",
        ),
        LabelForm::BacktickLegacy => w.raw("# escape=`\nFROM scratch\nLABEL org.nrg.commands \""),
    }
    for (i, &c) in chars.iter().enumerate() {
        match (form, c) {
            (_, '\n') => {
                // JSON whitespace between tokens: a continuation, indented.
                w.positions.push((w.line, w.col));
                w.raw(&format!("{escape}\n    "));
            }
            (LabelForm::SingleQuoted, '\'') => w.unit("'\"'\"'", 2),
            (LabelForm::SingleQuoted, c) => w.unit(&c.to_string(), 0),
            (_, '"' | '$') => w.unit(&format!("{escape}{c}"), 0),
            (_, c) if c == escape => w.unit(&format!("{escape}{c}"), 0),
            (_, c) => w.unit(&c.to_string(), 0),
        }
        if c != '\n' {
            w.maybe_break(chars.get(i + 1).copied(), escape, "");
        }
    }
    // The position just past the value (where "end of file" problems point).
    w.positions.push((w.line, w.col));
    match form {
        LabelForm::DoubleQuoted | LabelForm::BacktickLegacy => w.raw("\"\n"),
        LabelForm::SingleQuoted => w.raw("'\nENV STAGE=done\n"),
        LabelForm::SeveralLabels => w.raw("\" \\\n      version=\"1.0\"\n"),
    }
    Generated {
        text: w.text,
        positions: w.positions,
    }
}

/// The character index in `text` of a 1-based line and column.
pub fn char_index(text: &str, line: u32, col: u32) -> usize {
    let mut index = 0;
    for (n, l) in text.split('\n').enumerate() {
        if n + 1 == line as usize {
            return index + col as usize - 1;
        }
        index += l.chars().count() + 1;
    }
    index
}
