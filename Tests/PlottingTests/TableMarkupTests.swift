import Plotting
import Testing

@Suite("Table HTML with trusted markup")
struct TableMarkupTests {
  @Test("given cells and caption are inserted as HTML; every other cell is still escaped")
  func markup() {
    let table = Table(
      columns: [.init("parameter"), .init("value", alignment: .right)],
      rows: [["w_11^(1)", "<1"], ["b_1^(1)", "2 & 3"]], caption: "∂E_n/∂w <all>")
    let html = table.html(captionHTML: "∂E<sub>n</sub>/∂w") { row, column in
      column == 0 && row == 0 ? "w<sub>11</sub><sup>(1)</sup>" : nil
    }
    #expect(html.contains("<caption>∂E<sub>n</sub>/∂w</caption>"))
    #expect(html.contains("<td>w<sub>11</sub><sup>(1)</sup></td>"))
    #expect(html.contains("<td>b_1^(1)</td>"))
    #expect(html.contains("<td style=\"text-align:right\">&lt;1</td>"))
    #expect(html.contains("<td style=\"text-align:right\">2 &amp; 3</td>"))
    // Without markup the plain rendering is unchanged.
    #expect(table.html().contains("<caption>∂E_n/∂w &lt;all&gt;</caption>"))
  }
}

@Suite("MarkupText")
struct MarkupTextTests {
  @Test("sub- and superscripts read as plain text; entities decoded; other tags dropped")
  func plainText() {
    #expect(MarkupText.plainText(fromHTML: "η·λ<sub>max</sub> &lt; 1") == "η·λ_max < 1")
    #expect(MarkupText.plainText(fromHTML: "w<sub>12</sub><sup>(1)</sup>") == "w₁₂^(1)")
    #expect(MarkupText.plainText(fromHTML: "e<sup>a</sup> / (3·e<sup>a</sup>)") == "e^a / (3·e^a)")
    #expect(MarkupText.plainText(fromHTML: "Σ e<sup>−gap</sup>") == "Σ e^(−gap)")
    #expect(MarkupText.plainText(fromHTML: "10<sup>−12</sup> &amp; <b>x</b>") == "10^−12 & x")
    #expect(MarkupText.plainText(fromHTML: "a<br>b&nbsp;c") == "ab c")
  }

  @Test("numbers as HTML: scientific notation as powers of ten, true minus signs")
  func numbers() {
    #expect(MarkupText.numbersHTML("1.8e-09") == "1.8 × 10<sup>−9</sup>")
    #expect(MarkupText.numbersHTML("6.4e-18") == "6.4 × 10<sup>−18</sup>")
    #expect(MarkupText.numbersHTML("2.5e+03") == "2.5 × 10<sup>3</sup>")
    #expect(MarkupText.numbersHTML("-0.00051238") == "−0.00051238")
    #expect(MarkupText.numbersHTML("x = (1, -0.5, 2) & t") == "x = (1, −0.5, 2) &amp; t")
    #expect(MarkupText.numbersHTML("name-1e") == "name−1e")
    #expect(MarkupText.numbersHTML("w_11^(1)") == "w_11^(1)")
  }
}
