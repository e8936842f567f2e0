/// Builds Pango markup from HTML inline content: collapses white space as a browser does (runs
/// become one space, none at the start or end of a line), escapes text, and in mathematics sets
/// single letters in italic and hyphens before digits as minus signs, as typeset mathematics does.
struct InlineMarkupBuilder {
  /// The markup so far.
  private(set) var markup = ""
  private var pendingSpace = false
  private var atLineStart = true
  private var endsWithSpace = false
  /// True once any visible character was added.
  private(set) var hasText = false
  /// How many `<sub>`/`<sup>` are open: indices of up to three letters are variables.
  private var scriptDepth = 0

  /// Adds text. `preserve` keeps white space (`<pre>`); `math` applies mathematical conventions.
  mutating func text(_ text: String, preserve: Bool = false, math: Bool = false) {
    if preserve {
      flushSpace()
      markup += PangoMarkup.escape(text)
      hasText = hasText || !text.isEmpty
      atLineStart = text.last == "\n"
      endsWithSpace = text.last?.isWhitespace ?? endsWithSpace
      return
    }
    let characters = Array(text)
    var index = 0
    while index < characters.count {
      let character = characters[index]
      if character.isWhitespace && character != "\u{00A0}" {
        if !atLineStart, !endsWithSpace { pendingSpace = true }
        index += 1
        continue
      }
      flushSpace()
      if math, character.isLetter {
        var end = index + 1
        while end < characters.count, characters[end].isLetter { end += 1 }
        let run = String(characters[index..<end])
        let isIndex = scriptDepth > 0 && run.count <= 3 && run.allSatisfy(\.isASCII)
        markup +=
          isIndex || Self.isVariable(run)
          ? "<i>\(PangoMarkup.escape(run))</i>" : PangoMarkup.escape(run)
        index = end
      } else if math, character == "-", index + 1 < characters.count,
        characters[index + 1].isNumber, index == 0 || !characters[index - 1].isLetter
      {
        markup += "\u{2212}"
        index += 1
      } else {
        markup += PangoMarkup.escape(String(character))
        index += 1
      }
      hasText = true
      atLineStart = false
      endsWithSpace = false
    }
  }

  /// Opens a Pango tag such as `<b>` (pass the whole tag).
  mutating func open(_ tag: String) {
    flushSpace()
    if tag == "<sub>" || tag == "<sup>" { scriptDepth += 1 }
    markup += tag
  }

  /// Closes a Pango tag such as `</b>`.
  mutating func close(_ tag: String) {
    if tag == "</sub>" || tag == "</sup>" { scriptDepth = max(0, scriptDepth - 1) }
    markup += tag
  }

  /// A forced line break (`<br>`); white space around it is dropped.
  mutating func lineBreak() {
    pendingSpace = false
    markup += "\n"
    atLineStart = true
  }

  /// A single letter, Latin or lower-case Greek, is a variable: italic. Words and upper-case
  /// Greek (Σ, Δ) stay upright, as in typeset mathematics.
  private static func isVariable(_ run: String) -> Bool {
    guard run.count == 1, let scalar = run.unicodeScalars.first else { return false }
    return scalar.isASCII || (0x03B1...0x03C9).contains(scalar.value)
  }

  private mutating func flushSpace() {
    if pendingSpace {
      markup += " "
      endsWithSpace = true
    }
    pendingSpace = false
  }
}
