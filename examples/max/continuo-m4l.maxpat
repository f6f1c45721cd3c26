{
 "patcher": {
  "fileversion": 1,
  "appversion": {
   "major": 8,
   "minor": 5,
   "revision": 6,
   "architecture": "x64",
   "modernui": 1
  },
  "classnamespace": "box",
  "rect": [
   100,
   100,
   820,
   520
  ],
  "gridsize": [
   15.0,
   15.0
  ],
  "openinpresentation": 1,
  "default_fontsize": 10.0,
  "boxes": [
   {
    "box": {
     "maxclass": "comment",
     "text": "continuo Max MIDI Effect for Live: harmonize, continue or vary a clip through continuo's Ableton route (needs AbletonOSC and continuo serve). Tracks and slots count from 1. Save as a Max MIDI Effect: see docs/daw/max.md.",
     "numinlets": 1,
     "numoutlets": 0,
     "patching_rect": [
      20,
      10,
      760,
      48
     ],
     "linecount": 2,
     "id": "obj-1"
    }
   },
   {
    "box": {
     "maxclass": "newobj",
     "text": "midiin",
     "numinlets": 1,
     "numoutlets": 1,
     "outlettype": [
      "int"
     ],
     "patching_rect": [
      600,
      70,
      60,
      22
     ],
     "id": "obj-2"
    }
   },
   {
    "box": {
     "maxclass": "newobj",
     "text": "midiout",
     "numinlets": 1,
     "numoutlets": 0,
     "outlettype": [],
     "patching_rect": [
      600,
      100,
      60,
      22
     ],
     "id": "obj-3"
    }
   },
   {
    "box": {
     "maxclass": "live.numbox",
     "numinlets": 1,
     "numoutlets": 2,
     "outlettype": [
      "",
      "float"
     ],
     "patching_rect": [
      20,
      80,
      44,
      15
     ],
     "parameter_enable": 1,
     "varname": "track",
     "saved_attribute_attributes": {
      "valueof": {
       "parameter_longname": "Track",
       "parameter_shortname": "track",
       "parameter_type": 1,
       "parameter_mmin": 1,
       "parameter_mmax": 128,
       "parameter_initial": [
        1
       ],
       "parameter_initial_enable": 1
      }
     },
     "id": "obj-4",
     "presentation": 1,
     "presentation_rect": [
      8,
      26,
      44,
      15
     ]
    }
   },
   {
    "box": {
     "maxclass": "live.numbox",
     "numinlets": 1,
     "numoutlets": 2,
     "outlettype": [
      "",
      "float"
     ],
     "patching_rect": [
      110,
      80,
      44,
      15
     ],
     "parameter_enable": 1,
     "varname": "slot",
     "saved_attribute_attributes": {
      "valueof": {
       "parameter_longname": "Slot",
       "parameter_shortname": "slot",
       "parameter_type": 1,
       "parameter_mmin": 1,
       "parameter_mmax": 128,
       "parameter_initial": [
        1
       ],
       "parameter_initial_enable": 1
      }
     },
     "id": "obj-5",
     "presentation": 1,
     "presentation_rect": [
      60,
      26,
      44,
      15
     ]
    }
   },
   {
    "box": {
     "maxclass": "live.numbox",
     "numinlets": 1,
     "numoutlets": 2,
     "outlettype": [
      "",
      "float"
     ],
     "patching_rect": [
      200,
      80,
      44,
      15
     ],
     "parameter_enable": 1,
     "varname": "out_track",
     "saved_attribute_attributes": {
      "valueof": {
       "parameter_longname": "Out Track",
       "parameter_shortname": "out track",
       "parameter_type": 1,
       "parameter_mmin": 1,
       "parameter_mmax": 128,
       "parameter_initial": [
        2
       ],
       "parameter_initial_enable": 1
      }
     },
     "id": "obj-6",
     "presentation": 1,
     "presentation_rect": [
      112,
      26,
      44,
      15
     ]
    }
   },
   {
    "box": {
     "maxclass": "live.toggle",
     "numinlets": 1,
     "numoutlets": 1,
     "outlettype": [
      ""
     ],
     "patching_rect": [
      290,
      80,
      15,
      15
     ],
     "parameter_enable": 1,
     "varname": "replace",
     "saved_attribute_attributes": {
      "valueof": {
       "parameter_longname": "Replace",
       "parameter_shortname": "replace",
       "parameter_type": 2,
       "parameter_enum": [
        "off",
        "on"
       ]
      }
     },
     "id": "obj-7",
     "presentation": 1,
     "presentation_rect": [
      172,
      26,
      15,
      15
     ]
    }
   },
   {
    "box": {
     "maxclass": "newobj",
     "text": "pak 1 1 2 0",
     "numinlets": 4,
     "numoutlets": 1,
     "outlettype": [
      ""
     ],
     "patching_rect": [
      20,
      120,
      77,
      22
     ],
     "id": "obj-8"
    }
   },
   {
    "box": {
     "maxclass": "newobj",
     "text": "udpsend 127.0.0.1 7300",
     "numinlets": 1,
     "numoutlets": 0,
     "outlettype": [],
     "patching_rect": [
      20,
      330,
      154,
      22
     ],
     "id": "obj-9"
    }
   },
   {
    "box": {
     "maxclass": "live.text",
     "numinlets": 1,
     "numoutlets": 2,
     "outlettype": [
      "",
      ""
     ],
     "patching_rect": [
      20,
      160,
      120,
      18
     ],
     "parameter_enable": 1,
     "varname": "harmonize",
     "text": "harmonize",
     "mode": 0,
     "saved_attribute_attributes": {
      "valueof": {
       "parameter_longname": "Harmonize",
       "parameter_shortname": "harmonize",
       "parameter_type": 2,
       "parameter_enum": [
        "val1",
        "val2"
       ]
      }
     },
     "id": "obj-10",
     "presentation": 1,
     "presentation_rect": [
      8,
      52,
      80,
      18
     ]
    }
   },
   {
    "box": {
     "maxclass": "newobj",
     "text": "zl.reg",
     "numinlets": 2,
     "numoutlets": 2,
     "outlettype": [
      "",
      ""
     ],
     "patching_rect": [
      20,
      200,
      60,
      22
     ],
     "id": "obj-11"
    }
   },
   {
    "box": {
     "maxclass": "message",
     "text": "/continuo/ableton/harmonize m4l-harmonize track $1 slot $2 out_track $3 replace $4",
     "numinlets": 2,
     "numoutlets": 1,
     "outlettype": [
      ""
     ],
     "patching_rect": [
      20,
      240,
      574,
      22
     ],
     "id": "obj-12"
    }
   },
   {
    "box": {
     "maxclass": "live.text",
     "numinlets": 1,
     "numoutlets": 2,
     "outlettype": [
      "",
      ""
     ],
     "patching_rect": [
      170,
      160,
      120,
      18
     ],
     "parameter_enable": 1,
     "varname": "continue",
     "text": "continue",
     "mode": 0,
     "saved_attribute_attributes": {
      "valueof": {
       "parameter_longname": "Continue",
       "parameter_shortname": "continue",
       "parameter_type": 2,
       "parameter_enum": [
        "val1",
        "val2"
       ]
      }
     },
     "id": "obj-13",
     "presentation": 1,
     "presentation_rect": [
      94,
      52,
      80,
      18
     ]
    }
   },
   {
    "box": {
     "maxclass": "newobj",
     "text": "zl.reg",
     "numinlets": 2,
     "numoutlets": 2,
     "outlettype": [
      "",
      ""
     ],
     "patching_rect": [
      170,
      200,
      60,
      22
     ],
     "id": "obj-14"
    }
   },
   {
    "box": {
     "maxclass": "message",
     "text": "/continuo/ableton/continue m4l-continue track $1 slot $2 out_track $3 replace $4",
     "numinlets": 2,
     "numoutlets": 1,
     "outlettype": [
      ""
     ],
     "patching_rect": [
      170,
      270,
      560,
      22
     ],
     "id": "obj-15"
    }
   },
   {
    "box": {
     "maxclass": "live.text",
     "numinlets": 1,
     "numoutlets": 2,
     "outlettype": [
      "",
      ""
     ],
     "patching_rect": [
      320,
      160,
      120,
      18
     ],
     "parameter_enable": 1,
     "varname": "variations",
     "text": "variations",
     "mode": 0,
     "saved_attribute_attributes": {
      "valueof": {
       "parameter_longname": "Variations",
       "parameter_shortname": "variations",
       "parameter_type": 2,
       "parameter_enum": [
        "val1",
        "val2"
       ]
      }
     },
     "id": "obj-16",
     "presentation": 1,
     "presentation_rect": [
      180,
      52,
      80,
      18
     ]
    }
   },
   {
    "box": {
     "maxclass": "newobj",
     "text": "zl.reg",
     "numinlets": 2,
     "numoutlets": 2,
     "outlettype": [
      "",
      ""
     ],
     "patching_rect": [
      320,
      200,
      60,
      22
     ],
     "id": "obj-17"
    }
   },
   {
    "box": {
     "maxclass": "message",
     "text": "/continuo/ableton/variations m4l-variations track $1 slot $2 out_track $3 replace $4",
     "numinlets": 2,
     "numoutlets": 1,
     "outlettype": [
      ""
     ],
     "patching_rect": [
      320,
      300,
      588,
      22
     ],
     "id": "obj-18"
    }
   },
   {
    "box": {
     "maxclass": "newobj",
     "text": "udpreceive 7301",
     "numinlets": 1,
     "numoutlets": 1,
     "outlettype": [
      ""
     ],
     "patching_rect": [
      20,
      380,
      105,
      22
     ],
     "id": "obj-19"
    }
   },
   {
    "box": {
     "maxclass": "newobj",
     "text": "route /continuo/ableton/written /continuo/done /continuo/error /continuo/accepted",
     "numinlets": 5,
     "numoutlets": 5,
     "outlettype": [
      "",
      "",
      "",
      "",
      ""
     ],
     "patching_rect": [
      20,
      410,
      560,
      22
     ],
     "id": "obj-20"
    }
   },
   {
    "box": {
     "maxclass": "message",
     "text": "",
     "numinlets": 2,
     "numoutlets": 1,
     "outlettype": [
      ""
     ],
     "patching_rect": [
      20,
      470,
      560,
      22
     ],
     "id": "obj-21",
     "presentation": 1,
     "presentation_rect": [
      8,
      80,
      252,
      36
     ],
     "linecount": 2
    }
   },
   {
    "box": {
     "maxclass": "newobj",
     "text": "prepend set wrote",
     "numinlets": 1,
     "numoutlets": 1,
     "outlettype": [
      ""
     ],
     "patching_rect": [
      20,
      440,
      119,
      22
     ],
     "id": "obj-22"
    }
   },
   {
    "box": {
     "maxclass": "newobj",
     "text": "prepend set done",
     "numinlets": 1,
     "numoutlets": 1,
     "outlettype": [
      ""
     ],
     "patching_rect": [
      160,
      440,
      112,
      22
     ],
     "id": "obj-23"
    }
   },
   {
    "box": {
     "maxclass": "newobj",
     "text": "prepend set error",
     "numinlets": 1,
     "numoutlets": 1,
     "outlettype": [
      ""
     ],
     "patching_rect": [
      300,
      440,
      119,
      22
     ],
     "id": "obj-24"
    }
   },
   {
    "box": {
     "maxclass": "newobj",
     "text": "prepend set working on",
     "numinlets": 1,
     "numoutlets": 1,
     "outlettype": [
      ""
     ],
     "patching_rect": [
      440,
      440,
      154,
      22
     ],
     "id": "obj-25"
    }
   },
   {
    "box": {
     "maxclass": "comment",
     "text": "track",
     "numinlets": 1,
     "numoutlets": 0,
     "patching_rect": [
      620,
      160,
      80,
      18
     ],
     "presentation": 1,
     "presentation_rect": [
      8,
      8,
      44,
      18
     ],
     "id": "obj-26"
    }
   },
   {
    "box": {
     "maxclass": "comment",
     "text": "slot",
     "numinlets": 1,
     "numoutlets": 0,
     "patching_rect": [
      620,
      184,
      80,
      18
     ],
     "presentation": 1,
     "presentation_rect": [
      60,
      8,
      44,
      18
     ],
     "id": "obj-27"
    }
   },
   {
    "box": {
     "maxclass": "comment",
     "text": "out track",
     "numinlets": 1,
     "numoutlets": 0,
     "patching_rect": [
      620,
      208,
      80,
      18
     ],
     "presentation": 1,
     "presentation_rect": [
      112,
      8,
      56,
      18
     ],
     "id": "obj-28"
    }
   },
   {
    "box": {
     "maxclass": "comment",
     "text": "replace",
     "numinlets": 1,
     "numoutlets": 0,
     "patching_rect": [
      620,
      232,
      80,
      18
     ],
     "presentation": 1,
     "presentation_rect": [
      172,
      8,
      50,
      18
     ],
     "id": "obj-29"
    }
   },
   {
    "box": {
     "maxclass": "comment",
     "text": "continuo",
     "numinlets": 1,
     "numoutlets": 0,
     "patching_rect": [
      620,
      256,
      80,
      18
     ],
     "presentation": 1,
     "presentation_rect": [
      8,
      128,
      120,
      18
     ],
     "id": "obj-30"
    }
   }
  ],
  "lines": [
   {
    "patchline": {
     "source": [
      "obj-2",
      0
     ],
     "destination": [
      "obj-3",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-4",
      0
     ],
     "destination": [
      "obj-8",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-5",
      0
     ],
     "destination": [
      "obj-8",
      1
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-6",
      0
     ],
     "destination": [
      "obj-8",
      2
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-7",
      0
     ],
     "destination": [
      "obj-8",
      3
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-8",
      0
     ],
     "destination": [
      "obj-11",
      1
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-10",
      0
     ],
     "destination": [
      "obj-11",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-11",
      0
     ],
     "destination": [
      "obj-12",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-12",
      0
     ],
     "destination": [
      "obj-9",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-8",
      0
     ],
     "destination": [
      "obj-14",
      1
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-13",
      0
     ],
     "destination": [
      "obj-14",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-14",
      0
     ],
     "destination": [
      "obj-15",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-15",
      0
     ],
     "destination": [
      "obj-9",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-8",
      0
     ],
     "destination": [
      "obj-17",
      1
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-16",
      0
     ],
     "destination": [
      "obj-17",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-17",
      0
     ],
     "destination": [
      "obj-18",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-18",
      0
     ],
     "destination": [
      "obj-9",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-19",
      0
     ],
     "destination": [
      "obj-20",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-20",
      0
     ],
     "destination": [
      "obj-22",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-22",
      0
     ],
     "destination": [
      "obj-21",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-20",
      1
     ],
     "destination": [
      "obj-23",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-23",
      0
     ],
     "destination": [
      "obj-21",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-20",
      2
     ],
     "destination": [
      "obj-24",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-24",
      0
     ],
     "destination": [
      "obj-21",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-20",
      3
     ],
     "destination": [
      "obj-25",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-25",
      0
     ],
     "destination": [
      "obj-21",
      0
     ]
    }
   }
  ]
 }
}
