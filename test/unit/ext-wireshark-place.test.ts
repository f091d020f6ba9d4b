// "Open in Wireshark" starts Wireshark on the machine the extension runs on. When VS Code's window
// is remote or in a browser, that is not the computer in front of the user: the question before it
// starts, and the error when it is missing, name the machine. vscode.env cannot be faked in the
// extension host, so the decision is a pure function of what it reads, tested here.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openFileInWireshark, WiresharkMissingError, wiresharkElsewhere } from '../../extension/wireshark.js';

test('a local desktop window: Wireshark starts on this computer, nothing to say', () => {
  assert.equal(wiresharkElsewhere({ remoteName: undefined, uiKind: 'desktop', hostname: 'laptop' }), undefined);
});

test('a remote or browser window: the sentence names the machine where Wireshark starts', () => {
  const cases: [remoteName: string | undefined, uiKind: 'desktop' | 'web', machine: string][] = [
    ['ssh-remote', 'desktop', 'the SSH host build-01'],
    ['wsl', 'desktop', 'WSL (build-01)'],
    ['dev-container', 'desktop', 'the container build-01'],
    ['attached-container', 'desktop', 'the container build-01'],
    ['codespaces', 'web', 'the codespace build-01'],
    ['tunnel', 'desktop', 'the remote machine build-01'],
    [undefined, 'web', 'the server build-01'], // code-server, vscode.dev with a local server
    ['ssh-remote', 'web', 'the SSH host build-01'],
  ];
  for (const [remoteName, uiKind, machine] of cases) {
    assert.equal(
      wiresharkElsewhere({ remoteName, uiKind, hostname: 'build-01' }),
      `Wireshark starts on ${machine} (where this window's extension runs), not on this computer.`,
      `${remoteName} / ${uiKind}`,
    );
  }
});

test('Wireshark missing on the other machine: the error says where it was looked for', async () => {
  const elsewhere = wiresharkElsewhere({ remoteName: 'ssh-remote', uiKind: 'desktop', hostname: 'build-01' });
  const missing = '/nonexistent/wireshark-for-this-test';
  await assert.rejects(openFileInWireshark(missing, '/dev/null', elsewhere), (e: unknown) => {
    assert.ok(e instanceof WiresharkMissingError);
    assert.equal(
      e.message,
      `Wireshark was not found at "${missing}". Wireshark starts on the SSH host build-01 (where this window's extension runs), not on this computer. Install it there (e.g. apt install wireshark) or set packetCapture.wiresharkPath.`,
    );
    return true;
  });
  // A local window keeps the short sentence.
  await assert.rejects(openFileInWireshark(missing, '/dev/null'), {
    message: `Wireshark was not found at "${missing}". Install it (e.g. apt install wireshark) or set packetCapture.wiresharkPath.`,
  });
});
