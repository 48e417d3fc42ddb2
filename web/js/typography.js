// French typography for displayed text: a narrow no-break space before ; ! ?, a
// no-break space before : and inside « », so that a line never starts with a
// punctuation mark or a closing guillemet. Idempotent; applied to the catalogue
// (what people write is shown as they wrote it: a page may be searched for their words).

export function frenchSpacing(text) {
  return text
    .replace(/ ([;!?])/g, '\u202F$1')
    .replace(/ :/g, '\u00A0:')
    .replace(/« /g, '«\u00A0')
    .replace(/ »/g, '\u00A0»');
}
