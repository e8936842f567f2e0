/// Escaping and stripping of Pango markup, the inline format of `RichText`.
enum PangoMarkup {
  /// Escapes `&`, `<`, `>`, `"` and `'` so `text` shows literally inside markup.
  static func escape(_ text: String) -> String {
    var escaped = ""
    escaped.reserveCapacity(text.utf8.count)
    for character in text {
      switch character {
      case "&": escaped += "&amp;"
      case "<": escaped += "&lt;"
      case ">": escaped += "&gt;"
      case "\"": escaped += "&quot;"
      case "'": escaped += "&apos;"
      default: escaped.append(character)
      }
    }
    return escaped
  }

  /// The text of `markup` without its tags, entities decoded.
  static func plainText(of markup: String) -> String {
    var text = ""
    var insideTag = false
    for character in markup {
      if insideTag {
        if character == ">" { insideTag = false }
      } else if character == "<" {
        insideTag = true
      } else {
        text.append(character)
      }
    }
    return HTMLEntities.decode(text)
  }

  /// Wraps `markup` in a `<span>` with the given attributes (e.g. `foreground="#555555"`).
  static func span(_ markup: String, _ attributes: String) -> String {
    "<span \(attributes)>\(markup)</span>"
  }
}
