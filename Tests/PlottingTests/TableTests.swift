import Plotting
import Testing

@Suite("Table")
struct TableTests {
  let table = Table(
    columns: [.init("class"), .init("p", alignment: .right), .init("note", alignment: .center)],
    rows: [["C1", "0.5", "tie"], ["C3", "1e-20", "a|b"]])

  @Test("fixed-width text pads per column alignment and trims trailing spaces")
  func text() {
    #expect(
      table.text() == """
        class      p  note
        -----  -----  ----
        C1       0.5  tie
        C3     1e-20  a|b

        """)
  }

  @Test("markdown has alignment markers and escapes pipes")
  func markdown() {
    #expect(
      table.markdown() == """
        | class |     p | note |
        | :---- | ----: | :--: |
        | C1    |   0.5 | tie  |
        | C3    | 1e-20 | a\\|b |

        """)
  }

  @Test("html escapes cells and styles non-left columns")
  func html() {
    let small = Table(
      columns: [.init("a<b"), .init("n", alignment: .right)], rows: [["x&y", "1"]], caption: "T")
    #expect(
      small.html() == """
        <table>
        <caption>T</caption>
        <thead><tr><th>a&lt;b</th><th style="text-align:right">n</th></tr></thead>
        <tbody>
        <tr><td>x&amp;y</td><td style="text-align:right">1</td></tr>
        </tbody>
        </table>

        """)
  }

  @Test("short rows are padded and long rows add columns")
  func ragged() {
    let ragged = Table(columns: [.init("a")], rows: [["1", "2"], []])
    #expect(ragged.columns.count == 2)
    #expect(ragged.rows == [["1", "2"], ["", ""]])
  }
}
