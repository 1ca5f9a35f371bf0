// The event-stream parser of the HTML standard ("Server-sent events", "Interpreting an event
// stream"), for the fetch path: the input is decoded text, fed in chunks as they arrive.
//
// parseEvents(dispatch, setRetry) returns feed(text). For each event it calls
// dispatch(type, data, lastEventId); for a block that set an id but carried no data (the
// daemon's heartbeat) it calls dispatch(null, null, lastEventId), so the cursor moves without
// an event, as it does in a browser's EventSource. setRetry(ms) gets each valid `retry:`.
export function parseEvents(dispatch, setRetry) {
  let rest = ''; // an unfinished line
  let afterCR = false; // the last chunk ended in CR: an LF starting the next one belongs to it
  let type = '';
  let data = '';
  let hasData = false;
  let lastId = ''; // the last event ID buffer: kept from one event to the next
  let idSet = false;

  const line = (text) => {
    if (text === '') {
      // Dispatch: an event needs data; an id alone still updates the last event ID.
      if (hasData) dispatch(type || 'message', data.slice(0, -1), lastId);
      else if (idSet) dispatch(null, null, lastId);
      type = data = '';
      hasData = idSet = false;
      return;
    }
    const colon = text.indexOf(':');
    if (colon === 0) return; // a comment
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? '' : text.slice(colon + 1);
    if (value[0] === ' ') value = value.slice(1);
    if (field === 'event') type = value;
    else if (field === 'data') {
      data += value + '\n';
      hasData = true;
    } else if (field === 'id') {
      if (!value.includes('\0')) {
        lastId = value;
        idSet = true;
      }
    } else if (field === 'retry') {
      if (/^\d+$/.test(value)) setRetry(Number(value));
    }
  };

  return (chunk) => {
    if (afterCR && chunk[0] === '\n') chunk = chunk.slice(1);
    afterCR = chunk.endsWith('\r');
    const lines = (rest + chunk).split(/\r\n|\r|\n/);
    rest = lines.pop();
    lines.forEach(line);
  };
}
