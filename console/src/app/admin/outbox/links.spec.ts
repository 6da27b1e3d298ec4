import { linkify } from './links';

describe('linkify', () => {
  it('makes the http(s) links of a mail clickable, keeping the rest as text', () => {
    const text = 'Hello,\n\nAccept: http://localhost:8080/accept-invitation?token=abc_123-X.\nThanks';
    expect(linkify(text)).toEqual([
      { text: 'Hello,\n\nAccept: ' },
      {
        text: 'http://localhost:8080/accept-invitation?token=abc_123-X',
        href: 'http://localhost:8080/accept-invitation?token=abc_123-X',
      },
      { text: '.\nThanks' },
    ]);
  });

  it('finds several links and links that end the text', () => {
    const pieces = linkify('a https://x.test/1 b https://x.test/2');
    expect(pieces.filter((piece) => piece.href).map((piece) => piece.href)).toEqual([
      'https://x.test/1',
      'https://x.test/2',
    ]);
    expect(pieces.map((piece) => piece.text).join('')).toBe('a https://x.test/1 b https://x.test/2');
  });

  it('never links other schemes', () => {
    expect(linkify('javascript:alert(1) data:text/html,x ftp://x.test')).toEqual([
      { text: 'javascript:alert(1) data:text/html,x ftp://x.test' },
    ]);
  });

  it('leaves text without links whole', () => {
    expect(linkify('')).toEqual([]);
    expect(linkify('no link here')).toEqual([{ text: 'no link here' }]);
  });
});
