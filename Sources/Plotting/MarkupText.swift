/// The plain-text reading of the small HTML used for mathematics in report text (the page and
/// the PDF show the HTML; terminals and `.txt` files show this).
public enum MarkupText {
  private static let subscriptDigits: [Character: Character] = [
    "0": "₀", "1": "₁", "2": "₂", "3": "₃", "4": "₄", "5": "₅", "6": "₆", "7": "₇", "8": "₈",
    "9": "₉",
  ]

  /// `<sub>12</sub>` → `₁₂`, `<sub>max</sub>` → `_max`; `<sup>a</sup>` → `^a`, `<sup>−2</sup>` →
  /// `^−2`, `<sup>−rate·t</sup>` → `^(−rate·t)` (parenthesised unless a single symbol, a signed
  /// number or already in parentheses); other tags dropped; `&amp; &lt; &gt; &quot; &nbsp;`
  /// decoded.
  public static func plainText(fromHTML html: String) -> String {
    var out = ""
    var rest = Substring(html)
    while let open = rest.firstIndex(of: "<") {
      out += rest[..<open]
      guard let close = rest[open...].firstIndex(of: ">") else {
        out += rest[open...]
        rest = ""
        break
      }
      let tag = rest[rest.index(after: open)..<close]
      rest = rest[rest.index(after: close)...]
      guard tag == "sub" || tag == "sup", let end = rest.range(of: "</\(tag)>") else { continue }
      let inner = plainText(fromHTML: String(rest[..<end.lowerBound]))
      rest = rest[end.upperBound...]
      if tag == "sub" {
        out +=
          !inner.isEmpty && inner.allSatisfy({ subscriptDigits[$0] != nil })
          ? String(inner.compactMap { subscriptDigits[$0] }) : "_" + inner
      } else {
        let number = inner.drop { $0 == "−" || $0 == "-" }
        let simple =
          inner.count == 1 || (!number.isEmpty && number.allSatisfy(\.isNumber))
          || (inner.hasPrefix("(") && inner.hasSuffix(")"))
        out += "^" + (simple ? inner : "(\(inner))")
      }
    }
    out += rest
    return out.replacingOccurrences(of: "&nbsp;", with: " ")
      .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
      .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&amp;", with: "&")
  }

  /// Numbers in `text` as HTML: `1.8e-09` → `1.8 × 10<sup>−9</sup>`, `-0.5` → `−0.5`
  /// (a hyphen before a digit becomes a true minus sign); everything else escaped.
  public static func numbersHTML(_ text: String) -> String {
    let characters = Array(text)
    var out = ""
    var index = 0
    func isDigit(_ i: Int) -> Bool {
      i < characters.count && characters[i].isASCII && characters[i].isNumber
    }
    while index < characters.count {
      let c = characters[index]
      // An exponent: digit, then e or E, an optional sign, then digits.
      if c == "e" || c == "E", index > 0, isDigit(index - 1) {
        var end = index + 1
        var negative = false
        if end < characters.count, characters[end] == "-" || characters[end] == "+" {
          negative = characters[end] == "-"
          end += 1
        }
        let start = end
        while isDigit(end) { end += 1 }
        if end > start, let exponent = Int(String(characters[start..<end])) {
          out += " × 10<sup>\(negative && exponent != 0 ? "−" : "")\(exponent)</sup>"
          index = end
          continue
        }
      }
      switch c {
      case "-"
      where isDigit(index + 1) || (index + 1 < characters.count && characters[index + 1] == "."):
        out += "−"
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      default: out.append(c)
      }
      index += 1
    }
    return out
  }
}
