// French typography for displayed text: a narrow no-break space before ; ! ?, a
// no-break space before : and inside « », so that a line never starts with a
// punctuation mark or a closing guillemet. Idempotent; applied to the catalogue
// and to every text node the pages build (not to what people edit).

export function frenchSpacing(text) {
  return text
    .replace(/ ([;!?])/g, '\u202F$1')
    .replace(/ :/g, '\u00A0:')
    .replace(/« /g, '«\u00A0')
    .replace(/ »/g, '\u00A0»');
}
